// A call trace in kernel function names, from a stack captured in the model (a traced
// run's scheduling point, a report). Every modeled function names its kernel
// counterpart in the comment above it (`// tdp_mmu_zap_leafs() in
// arch/x86/kvm/mmu/tdp_mmu.c`); that comment is what makes a frame a kernel frame and
// says its file. Harness helpers, the engine and anonymous functions of the model
// drop out; frames of the scenario file stay, by file and line.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { displayPath, isInternalFrame, parseStack } from '../engine/index.ts';

/** One frame of a kernel call trace. */
export interface kframe {
  /** Kernel function name; null for an anonymous function of the scenario. */
  readonly fn: string | null;
  /** The kernel file it lives in, when its comment or its module says. */
  readonly file: string | null;
  /** A frame of the scenario (or of a file outside septcheck): shown by path and line. */
  readonly at: string | null;
  /** A kernel primitive (src/kernel), not the model. */
  readonly primitive: boolean;
}

/** septcheck's src/: frames under it are the kernel layer and the model. */
const SRC = fileURLToPath(new URL('..', import.meta.url));
const KERNEL = fileURLToPath(new URL('.', import.meta.url));

/** A kernel source path in a comment. */
const KERNEL_PATH = /\b((?:arch|virt|include|kernel|mm|drivers|fs|lib)\/[\w./-]+\.[ch])\b/;

/** A function defined in a model file, and the kernel function its comment names. */
interface definition {
  /** 1-based line of the definition. */
  readonly line: number;
  /** The kernel function the comment above it names, and where that lives. */
  readonly kernel: { readonly name: string; readonly file: string | null } | null;
}

/** Top-level functions and arrows, classes, and methods (indented, ending in `{`: a
 * call in a function body ends in `;` or `=> {`), e.g. a variant's overrides. */
const DEF =
  /^(?:export )?(?:async )?function\*? \w+|^(?:export )?const \w+\s*(?::[^=]*)?=|^(?:export )?(?:abstract )?class \w+|^ {2,}(?:(?:static|private|protected|public|async|get|set|override)\s+)*\*?\w+\(.*\)(?::\s*[^=]+)?\s*\{$/;
/** A comment that opens with a kernel function's name: `// tdp_mmu_zap_leafs() in`. */
const NAMES = /^\s*(?:\/\/|\/\*\*|\*)\s*(\w+)\(\)/;

const sources = new Map<string, definition[] | null>();

function definitions_of(file: string): definition[] | null {
  let defs = sources.get(file);
  if (defs !== undefined) return defs;
  try {
    const lines = readFileSync(file, 'utf8').split('\n');
    // The module's header comment names the kernel file its functions come from.
    let header: string | null = null;
    for (const l of lines) {
      if (!l.startsWith('//')) break;
      header ??= KERNEL_PATH.exec(l)?.[1] ?? null;
    }
    defs = [];
    for (const [i, l] of lines.entries()) {
      if (!DEF.test(l)) continue;
      // The comment block right above the definition.
      let j = i - 1;
      while (j >= 0 && /^\s*(\/\/|\/\*\*|\*)/.test(lines[j]!)) j--;
      const block = lines.slice(j + 1, i);
      const kname = block.length > 0 ? (NAMES.exec(block[0]!)?.[1] ?? null) : null;
      const own = block.map((b) => /\(\) in (\S+)/.exec(b)?.[1]).find((x) => x !== undefined);
      const file = own !== undefined && KERNEL_PATH.test(own) ? KERNEL_PATH.exec(own)![1]! : header;
      defs.push({ line: i + 1, kernel: kname === null ? null : { name: kname, file } });
    }
  } catch {
    defs = null;
  }
  sources.set(file, defs);
  return defs;
}

/** The kernel function a frame of the model is in: the definition the frame's line
 * falls in (the frame's own name comes from a source map and may be another
 * identifier), or, for an anonymous function, the function around it; null for a
 * helper of the harness. */
function counterpart(file: string, line: number): definition['kernel'] {
  const defs = definitions_of(file);
  if (defs === null) return null;
  let around: definition | null = null;
  for (const d of defs) if (d.line <= line) around = d;
  return around?.kernel ?? null;
}

/** The kernel frames of a captured stack, innermost first. */
export function kernel_frames(stack: string): kframe[] {
  const out: kframe[] = [];
  for (const f of parseStack(stack)) {
    if (isInternalFrame(f)) continue;
    // The scenario's frames, by file and line (names from source maps are not reliable).
    if (!f.file.startsWith(SRC)) {
      out.push({ fn: null, file: null, at: `${displayPath(f.file)}:${f.line}`, primitive: false });
      continue;
    }
    const k = counterpart(f.file, f.line);
    if (k === null) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.fn === k.name && last.at === null) continue; // one call, seen twice
    out.push({ fn: k.name, file: k.file, at: null, primitive: f.file.startsWith(KERNEL) });
  }
  return out;
}

/** ` fn file` or ` path:line`, as a call trace line. */
export function kframe_line(f: kframe): string {
  if (f.at !== null) return ` ${f.fn === null ? '' : `${f.fn} `}${f.at}`;
  return ` ${f.fn}${f.file === null ? '' : ` ${f.file}`}`;
}

/** `Call Trace:` with its frames, as dump_stack() prints it. */
export function call_trace(frames: readonly kframe[]): string[] {
  return ['Call Trace:', ' <TASK>', ...frames.map(kframe_line), ' </TASK>'];
}

/** The innermost frame that is not a kernel primitive: the model function (or the
 * scenario's code) making the call. */
export function caller_frame(frames: readonly kframe[]): kframe | null {
  return frames.find((f) => !f.primitive) ?? null;
}

/** `fn` or `path:line`, as a report names where something happened. */
export function kframe_name(f: kframe): string {
  return f.at !== null ? (f.fn === null ? f.at : `${f.fn} (${f.at})`) : f.fn!;
}

/** The kernel name of the function that made the call a stack was captured in. */
export function caller_name(stack: string | null): string | null {
  if (stack === null) return null;
  const f = caller_frame(kernel_frames(stack));
  return f === null ? null : kframe_name(f);
}
