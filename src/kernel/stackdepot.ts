// The stacks KASAN and kmemleak print (lib/stackdepot.c, kasan_save_stack()): the
// names of the model functions that made a call, innermost first. Taken from the
// JavaScript stack, keeping named frames outside the engine and the kernel layer, so
// a report names the scenario's or the model's functions (`tdp_mmu_free_sp`), never
// file paths: it reads the same on every machine.

/** What a stack is saved with: the task that ran, at which step. */
export interface track {
  readonly comm: string;
  readonly pid: number;
  readonly step: number;
  /** Function names, innermost first; the primitive itself comes first. */
  readonly stack: readonly string[];
}

const INTERNAL = /[\\/]src[\\/](kernel|engine)[\\/]|^node:|[\\/]node_modules[\\/]/;
/** Frames by name that a stack leaves out: accessors of a layer's data structures
 * (`kvm_mmu_page.read`), which stand for memory accesses, not calls. */
const skipped: RegExp[] = [];

/** Leaves frames whose name matches `re` out of every saved stack. */
export function stackdepot_skip_frames(re: RegExp): void {
  skipped.push(re);
}
/** The call sites of the current stack, innermost first, as V8 keeps them: no
 * formatting and no source maps (a test runner's prepareStackTrace maps every frame
 * of a formatted stack, which costs far more than the capture). */
function callsites(): NodeJS.CallSite[] {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  Error.prepareStackTrace = (_e, cs) => cs;
  Error.stackTraceLimit = 24;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  Error.captureStackTrace(holder, save_stack);
  const cs = holder.stack ?? [];
  Error.prepareStackTrace = prepare;
  Error.stackTraceLimit = limit;
  return cs;
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

// stack_depot_save(): `top` (the primitive, e.g. `kmem_cache_free`) and its callers.
export function save_stack(top: readonly string[]): string[] {
  const out = [...top];
  for (const c of callsites()) {
    const file = c.getFileName();
    if (file === undefined || file === null || INTERNAL.test(file)) continue;
    const name = frame_name(c);
    if (name === null || name.startsWith('<') || skipped.some((re) => re.test(name))) continue;
    if (out[out.length - 1] !== name) out.push(name);
  }
  return out;
}

/** The first caller of a primitive in `t`'s stack, for `BUG: ... in FUNC`. */
export function caller_of(stack: readonly string[], fallback: string): string {
  return stack[1] ?? fallback;
}
