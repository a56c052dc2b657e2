// V8 stack traces read as data. A report's call trace and an exception's location
// come from them: a stack is captured only where a reader will want it (a traced
// run's scheduling points, a thrown value), never on the exploration's hot path.
// tsx maps the frames to the TypeScript source (its loader turns source maps on).
import { fileURLToPath } from 'node:url';

/** One frame of a stack: the function (null when anonymous), where, and whether it
 * is an async caller that awaited the frame above it. */
export interface StackFrame {
  readonly fn: string | null;
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly async: boolean;
}

/** `    at [async ]fn (file:line:col)` or `    at [async ]file:line:col`. */
const FRAME = /^\s*at (async )?(?:(.*?) \((.+):(\d+):(\d+)\)|(.+):(\d+):(\d+))$/;

/** The frames of a stack text; lines that are not frames (the message) are skipped. */
export function parseStack(stack: string): StackFrame[] {
  const out: StackFrame[] = [];
  for (const line of stack.split('\n')) {
    const m = FRAME.exec(line);
    if (m === null) continue;
    const named = m[3] !== undefined;
    const fn = named ? m[2]! : null;
    out.push({
      fn: fn === null || fn === '<anonymous>' ? null : fn,
      file: filePath(named ? m[3]! : m[6]!),
      line: Number(named ? m[4] : m[7]),
      col: Number(named ? m[5] : m[8]),
      async: m[1] !== undefined,
    });
  }
  return out;
}

function filePath(f: string): string {
  if (!f.startsWith('file://')) return f;
  try {
    return fileURLToPath(f);
  } catch {
    return f;
  }
}

/** Frames kept in a captured stack: deep enough for a model call chain. */
const DEPTH = 64;

/** The stack of the caller, captured now and formatted only when read. */
export function captureStack(): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = DEPTH;
  const e = new Error('stack');
  Error.stackTraceLimit = limit;
  return e;
}

/** The stack text of a thrown value, if it has one; never throws. */
export function stackOf(e: unknown): string | null {
  try {
    if (e instanceof Error && typeof e.stack === 'string') return e.stack;
  } catch {
    // a getter that throws
  }
  return null;
}

/** This folder: frames in it are the engine's own, never the scenario's. */
const ENGINE_DIR = fileURLToPath(new URL('.', import.meta.url));

/** A frame of the engine, of Node itself or of a dependency. */
export function isInternalFrame(f: StackFrame): boolean {
  return f.file.startsWith(ENGINE_DIR) || f.file.startsWith('node:') || f.file.includes('/node_modules/') || !f.file.includes('/');
}

/** A path as reports print it: relative to the working directory when inside it. */
export function displayPath(file: string, cwd = process.cwd()): string {
  const base = cwd.endsWith('/') ? cwd : `${cwd}/`;
  return file.startsWith(base) ? file.slice(base.length) : file;
}

/** Where a thrown value came from, outside the engine: `path:line:col` per frame,
 * the innermost first; empty when it carries no stack. Function names are left out:
 * a source map names an anonymous function after whatever identifier is near it. */
export function thrownFrames(e: unknown): string[] {
  const text = stackOf(e);
  if (text === null) return [];
  return parseStack(text)
    .filter((f) => !isInternalFrame(f))
    .map((f) => `${displayPath(f.file)}:${f.line}:${f.col}`);
}
