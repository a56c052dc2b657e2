// The stacks KASAN and kmemleak print (lib/stackdepot.c, kasan_save_stack()): the
// names of the model functions that made a call, innermost first. Taken from the
// JavaScript stack, keeping named frames outside the engine and the kernel layer, so
// a report names the scenario's or the model's functions (`tdp_mmu_free_sp`), never
// file paths: it reads the same on every machine.
//
// Only a detailed run captures (RunOptions.detailed): while exploring, a track's
// stack is its `top` alone, and a report that reads it marks the run undetailed, so
// the engine gets the finding from a detailed run of its schedule before it is
// reported (src/engine/detail.ts). Capturing at every allocation and free, even
// unformatted, took a fifth of an exploration's time.
import type { Run } from '../engine/index.ts';

let captures = 0;

/** Stacks captured so far in this process (a test's count). */
export function stackdepot_captures(): number {
  return captures;
}

/** What a stack is saved with: the task that ran, at which step, and the stack.
 * In a detailed run the stack is captured when the track is made and turned into
 * names only when first read (a report being written): formatting the frames (call
 * sites, names, the filters below) for every allocation and free cost a tenth of a
 * schedule's time. */
export class track {
  /** The raw capture (Error.captureStackTrace()), until symbolized. */
  private raw: { stack?: unknown } | null = null;
  private names: readonly string[] | null = null;
  /** The run that did not capture the stack, not being detailed: told when the stack
   * is read (Run.undetailed). */
  private elided: Run | null = null;

  constructor(
    readonly comm: string,
    readonly pid: number,
    readonly step: number,
    /** Names that come first (the primitive itself). */
    private readonly top: readonly string[],
    /** Capture the stack (else the track's stack is `top` alone, in every run). */
    capture: boolean,
    /** The run the track is made in: it captures only if detailed. Null: capture. */
    run: Run | null,
  ) {
    if (!capture) this.names = top;
    else if (run !== null && !run.detailed) {
      this.names = top;
      this.elided = run;
    } else this.raw = capture_raw(track);
  }

  /** Function names, innermost first; the primitive itself comes first (alone, in a
   * run that is not detailed). */
  get stack(): readonly string[] {
    if (this.elided !== null) this.elided.undetailed = true;
    if (this.names === null) {
      this.names = names_of(this.top, symbolize(this.raw!));
      this.raw = null;
    }
    return this.names;
  }

  /** A plain copy, for a finding's details (which may be cloned or serialized). */
  plain(): { readonly comm: string; readonly pid: number; readonly step: number; readonly stack: readonly string[] } {
    return { comm: this.comm, pid: this.pid, step: this.step, stack: this.stack };
  }

  toJSON(): unknown {
    return this.plain();
  }
}

const INTERNAL = /[\\/]src[\\/](kernel|engine)[\\/]|^node:|[\\/]node_modules[\\/]/;
const ENGINE = /[\\/]src[\\/]engine[\\/]/;
/** Frames by name that a stack leaves out: accessors of a layer's data structures
 * (`kvm_mmu_page.read`), which stand for memory accesses, not calls. */
const skipped: RegExp[] = [];

/** Leaves frames whose name matches `re` out of every saved stack. */
export function stackdepot_skip_frames(re: RegExp): void {
  skipped.push(re);
}
/** The current stack, above `above`, as V8 keeps it before it is formatted (at most
 * 24 frames): formatting waits for symbolize(). */
function capture_raw(above: Function): { stack?: unknown } {
  captures++;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 24;
  const holder: { stack?: unknown } = {};
  Error.captureStackTrace(holder, above);
  Error.stackTraceLimit = limit;
  return holder;
}

/** The call sites of a raw capture, innermost first: no formatting and no source
 * maps (a test runner's prepareStackTrace maps every frame of a formatted stack,
 * which costs far more). V8 formats a capture when its stack is first read, with the
 * prepareStackTrace in place then. */
function symbolize(raw: { stack?: unknown }): NodeJS.CallSite[] {
  const prepare = Error.prepareStackTrace;
  Error.prepareStackTrace = (_e, cs) => cs;
  const cs = raw.stack as NodeJS.CallSite[] | undefined;
  Error.prepareStackTrace = prepare;
  return cs ?? [];
}

/** A frame's name as V8 prints it (`fn`, `Type.fn`, `Type.method` for an anonymous
 * function called as a method), without `Object.`/`Promise.`; null for anonymous
 * frames and constructors. */
function frame_name(c: NodeJS.CallSite): string | null {
  if (c.isConstructor()) return null;
  const fn = c.getFunctionName() || null;
  if (c.isToplevel()) return fn;
  const type = c.getTypeName();
  const name = fn ?? c.getMethodName();
  if (name === null) return null;
  if (type === null || type === 'Object' || type === 'Promise' || name.startsWith(`${type}.`)) return name;
  return `${type}.${name}`;
}

/** `top` and the names of the frames of `cs` that a saved stack keeps. */
function names_of(top: readonly string[], cs: readonly NodeJS.CallSite[]): string[] {
  const out = [...top];
  // Past the engine's outermost frame is whoever runs the exploration (a test, the
  // sweep's worker, a token's replay): set-up code, called by the engine in the
  // caller's job, would name it. The same stack reads the same whoever explores.
  let end = cs.length;
  while (end > 0 && !ENGINE.test(cs[end - 1]!.getFileName() ?? '')) end--;
  if (end === 0) end = cs.length;
  for (let i = 0; i < end; i++) {
    const c = cs[i]!;
    const file = c.getFileName();
    if (file === undefined || file === null || INTERNAL.test(file)) continue;
    const name = frame_name(c);
    if (name === null || name.startsWith('<') || skipped.some((re) => re.test(name))) continue;
    if (out[out.length - 1] !== name) out.push(name);
  }
  return out;
}

// stack_depot_save(): `top` (the primitive, e.g. `kmem_cache_free`) and its callers,
// named now (see track for a stack named when first read).
export function save_stack(top: readonly string[]): string[] {
  return names_of(top, symbolize(capture_raw(save_stack)));
}

/** The first caller of a primitive in `t`'s stack, for `BUG: ... in FUNC`. */
export function caller_of(stack: readonly string[], fallback: string): string {
  return stack[1] ?? fallback;
}
