import type { FindingInput, TraceEvent } from './types.ts';

/** `op(obj)` or `op`. */
export function opLabel(ev: Pick<TraceEvent, 'op' | 'obj'>): string {
  return ev.obj === undefined ? ev.op : `${ev.op}(${ev.obj})`;
}

export function renderOps(events: readonly TraceEvent[]): string[] {
  return events.map((ev) => `#${ev.step} ${opLabel(ev)}${ev.result === undefined ? '' : ` = ${ev.result}`}`);
}

/** Renders a trace as aligned text: step, CPU, thread, operation, result, and
 * under each step the events the model told of it. A `fold` (a livelock's cycle)
 * shows the cycle once, then how many times it ran again. */
export function renderTrace(events: readonly TraceEvent[], fold?: Cycle): string {
  const w = Math.max(6, ...events.map((e) => e.thread.length));
  const sw = String(Math.max(0, events.length - 1)).length;
  const pad = ' '.repeat(sw + 2 + 5 + w + 2);
  const out: string[] = [];
  const folded = fold === undefined || fold.times < 2 ? null : { from: fold.from + fold.ops.length, to: fold.from + fold.times * fold.ops.length };
  for (const ev of events) {
    if (folded !== null && ev.step >= folded.from && ev.step < folded.to) {
      if (ev.step === folded.from) out.push(`${' '.repeat(sw)}  ...   steps ${folded.from}-${folded.to - 1}: the ${fold!.ops.length} steps above, ${fold!.times - 1} times more`);
      continue;
    }
    const res = ev.result === undefined ? '' : ` = ${ev.result}`;
    out.push(`${String(ev.step).padStart(sw)}  cpu${ev.cpu}  ${ev.thread.padEnd(w)}  ${opLabel(ev)}${res}`);
    for (const e of ev.events ?? []) out.push(`${pad}  · ${e}`);
  }
  return out.join('\n');
}

/** The cycle a livelocked trace ends in: its operations (`thread:op`), the step
 * where the repetition starts and how many times the cycle runs from there. */
export interface Cycle {
  readonly ops: string[];
  readonly from: number;
  readonly times: number;
}

/** The shortest sequence of operations that the tail of `trace` keeps repeating,
 * with where the repetition starts; or the last few operations (`times` 1) when
 * there is no clean cycle. */
export function livelockCycle(trace: readonly TraceEvent[]): Cycle {
  const key = (ev: TraceEvent) => `${ev.thread}:${opLabel(ev)}`;
  const n = trace.length;
  for (let p = 1; p <= Math.min(64, Math.floor(n / 3)); p++) {
    let ok = true;
    for (let i = n - 2 * p; i < n && ok; i++) ok = key(trace[i]!) === key(trace[i - p]!);
    if (!ok) continue;
    // Back to where the repetition starts: trace[i] equals trace[i + p] from there on.
    let start = n - 2 * p;
    while (start > 0 && key(trace[start - 1]!) === key(trace[start - 1 + p]!)) start--;
    // Whole cycles from there; a part of one may follow.
    return { ops: trace.slice(start, start + p).map(key), from: trace[start]!.step, times: Math.floor((n - start) / p) };
  }
  const from = Math.max(0, n - 8);
  return { ops: trace.slice(from).map(key), from: trace[from]?.step ?? 0, times: 1 };
}

/** A finding as text when no layer worded it: `kind: message` (the kind once), and
 * for an exception where it was thrown, one `at` line per frame. */
export function headline(f: FindingInput): string {
  if (f.report !== undefined) return f.report;
  const head = f.message.startsWith(`${f.kind}: `) ? f.message : `${f.kind}: ${f.message}`;
  const stack = f.details?.stack;
  return Array.isArray(stack) ? [head, ...stack.map((l) => `    at ${String(l)}`)].join('\n') : head;
}
