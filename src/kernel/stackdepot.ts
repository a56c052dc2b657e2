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
const FRAME = /^\s*at (?:async )?(\S+) \((.*)\)$/;

// stack_depot_save(): `top` (the primitive, e.g. `kmem_cache_free`) and its callers.
export function save_stack(top: readonly string[]): string[] {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 24;
  const e = new Error();
  Error.stackTraceLimit = limit;
  const out = [...top];
  for (const line of (e.stack ?? '').split('\n')) {
    const m = FRAME.exec(line);
    if (m === null || INTERNAL.test(m[2]!)) continue;
    const name = m[1]!.replace(/^(Object|Promise)\./, '');
    if (name === 'new' || name.startsWith('<') || skipped.some((re) => re.test(name))) continue;
    if (out[out.length - 1] !== name) out.push(name);
  }
  return out;
}

/** The first caller of a primitive in `t`'s stack, for `BUG: ... in FUNC`. */
export function caller_of(stack: readonly string[], fallback: string): string {
  return stack[1] ?? fallback;
}
