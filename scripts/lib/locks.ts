// Lock windows in a trace: from each acquire to the release that ends it. The
// interleaving table indents a thread's steps by what it holds; the HTML page draws
// the windows as bars and lists what each step's thread holds on hover.
import type { TraceEvent } from '../../src/engine/index.ts';

/** Acquire operations and the release that ends their hold. */
const RELEASE: Readonly<Record<string, string>> = {
  spin_lock: 'spin_unlock',
  spin_lock_bh: 'spin_unlock_bh',
  spin_lock_irq: 'spin_unlock_irq',
  spin_lock_irqsave: 'spin_unlock_irqrestore',
  spin_trylock: 'spin_unlock',
  read_lock: 'read_unlock',
  write_lock: 'write_unlock',
  mutex_lock: 'mutex_unlock',
  mutex_trylock: 'mutex_unlock',
  down_read: 'up_read',
  down_write: 'up_write',
  rcu_read_lock: 'rcu_read_unlock',
};
const RELEASES = new Set(Object.values(RELEASE));

export interface Span {
  readonly thread: string;
  readonly obj: string;
  readonly from: number;
  readonly to: number;
  readonly open: boolean;
}

/** The lock an operation works on (`rcu` for the RCU read side), if it is a lock op. */
function lockOf(ev: TraceEvent): string | undefined {
  if (RELEASE[ev.op] === undefined && !RELEASES.has(ev.op)) return undefined;
  return ev.obj ?? (ev.op.startsWith('rcu_') ? 'rcu' : undefined);
}

/** An acquire that took its lock: no result, or a trylock's `1` (a splat or a
 * failed trylock names another result). */
function took(ev: TraceEvent): boolean {
  return RELEASE[ev.op] !== undefined && (ev.result === undefined || ev.result === '1');
}

/** Whether the step takes or drops a lock. */
export function isLockOp(ev: TraceEvent): boolean {
  return lockOf(ev) !== undefined;
}

/** Lock-hold spans per thread, from acquire to matching release (or the end). */
export function lockSpans(trace: readonly TraceEvent[]): Span[] {
  const open = new Map<string, { from: number; release: string }[]>();
  const spans: Span[] = [];
  for (const ev of trace) {
    const obj = lockOf(ev);
    if (obj === undefined) continue;
    const key = `${ev.thread}\u0000${obj}`;
    if (took(ev)) {
      open.set(key, [...(open.get(key) ?? []), { from: ev.step, release: RELEASE[ev.op]! }]);
      continue;
    }
    const stack = open.get(key);
    const top = stack?.[stack.length - 1];
    if (top !== undefined && top.release === ev.op) {
      stack!.pop();
      spans.push({ thread: ev.thread, obj, from: top.from, to: ev.step, open: false });
    }
  }
  const last = trace.length === 0 ? 0 : trace[trace.length - 1]!.step;
  for (const [key, stack] of open) {
    const [thread, obj] = key.split('\u0000') as [string, string];
    for (const s of stack) spans.push({ thread, obj, from: s.from, to: last, open: true });
  }
  return spans.sort((a, b) => a.from - b.from || a.to - b.to);
}

/** What the step's thread holds while the step runs: the locks taken before it and
 * not released before it (a release step still holds what it releases). */
export function heldAt(spans: readonly Span[], ev: TraceEvent): string[] {
  return spans.filter((s) => s.thread === ev.thread && s.from < ev.step && ev.step <= s.to).map((s) => s.obj);
}

/** How deep the step sits in its thread's lock windows: the locks held around it,
 * so that a release lines up with its acquire. */
export function lockDepth(spans: readonly Span[], ev: TraceEvent): number {
  const held = heldAt(spans, ev).length;
  return RELEASES.has(ev.op) && spans.some((s) => s.thread === ev.thread && s.to === ev.step && !s.open) ? held - 1 : held;
}
