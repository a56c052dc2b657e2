import { opLabel, type Finding, type TraceEvent } from '../../src/engine/index.ts';
import { isLockOp, lockDepth, lockSpans } from './locks.ts';
import { table } from './table.ts';

/** The livelock cycle a finding names, when it repeats (details from the run). */
export function cycleOf(f: Finding): { from: number; ops: string[]; times: number } | undefined {
  const d = f.details;
  if (f.kind !== 'livelock' || typeof d?.from !== 'number' || typeof d.times !== 'number' || !Array.isArray(d.repeating)) return undefined;
  return { from: d.from, ops: d.repeating as string[], times: d.times };
}

/** The step a report marks: the finding's, or the last one run when the finding came
 * after it (a deadlock: nobody could take another step). */
export function violatingStep(f: Finding): number | null {
  if (f.trace.length === 0) return null;
  return Math.min(f.step, f.trace[f.trace.length - 1]!.step);
}

/** The call that broke the rule, when it is not the violating step's own operation
 * (a kmalloc(GFP_KERNEL) made in the step after a spin_lock()). */
export function brokeAt(f: Finding): string | undefined {
  const hot = violatingStep(f);
  const ev = hot === null ? undefined : f.trace[hot];
  return f.call !== undefined && (ev === undefined || f.call !== opLabel(ev)) ? f.call : undefined;
}

/** Steps worth showing: where a thread starts, stops or resumes, takes or drops a
 * lock, has a result or an event, the violating step, steps on objects the finding
 * names, and the last. The others (runs of steps with nothing to say) fold. */
export function stepsThatMatter(f: Finding): TraceEvent[] {
  const tr = f.trace;
  const text = `${f.message}\n${f.report ?? ''}`;
  const hot = violatingStep(f);
  const hotObj = hot === null ? undefined : tr[hot]?.obj;
  return tr.filter((ev, i) => {
    if (i === tr.length - 1 || ev.step === hot) return true;
    const boundary = tr[i - 1]?.thread !== ev.thread || tr[i + 1]?.thread !== ev.thread;
    if (ev.op === 'start') return boundary && tr[i - 1]?.thread !== ev.thread;
    if (boundary || isLockOp(ev) || ev.result !== undefined || (ev.events?.length ?? 0) > 0) return true;
    return ev.obj !== undefined && (ev.obj === hotObj || text.includes(ev.obj));
  });
}

/**
 * A table with one column per thread, holding the steps that matter. A thread's
 * steps are indented by the locks it holds, so its lock windows read like nested
 * code; the model's events sit under their step; the violating step (or the call in
 * it that broke the rule) is marked; a livelock's cycle shows once, with its count.
 */
export function interleavingTable(f: Finding): string {
  const threads = [...new Set(f.trace.map((ev) => ev.thread))];
  const cpu = new Map(f.trace.map((ev) => [ev.thread, ev.cpu]));
  const spans = lockSpans(f.trace);
  const hot = violatingStep(f);
  const cycle = cycleOf(f);
  const call = brokeAt(f);
  const skip = cycle === undefined || cycle.times < 2 ? null : { from: cycle.from + cycle.ops.length, to: cycle.from + cycle.times * cycle.ops.length };
  const rows: string[][] = [];
  const inColumn = (thread: string, text: string) => ['', ...threads.map((t) => (t === thread ? text : ''))];
  let prev = -1;
  for (const ev of stepsThatMatter(f)) {
    if (skip !== null && ev.step >= skip.from && ev.step < skip.to) {
      if (prev < skip.from) rows.push(['', `  ... steps ${skip.from}-${skip.to - 1}: the ${cycle!.ops.length} steps above, ${cycle!.times - 1} times more`]);
      prev = skip.to - 1;
      continue;
    }
    const gap = ev.step - prev - 1;
    if (gap > 0) rows.push(inColumn(f.trace[prev + 1]!.thread, `  ... ${gap === 1 ? '1 step' : `${gap} steps`}`));
    const indent = '  '.repeat(lockDepth(spans, ev));
    const mark = ev.step === hot && call === undefined && ev.result !== f.kind ? `  <-- ${f.kind}` : '';
    const cell = `${indent}${opLabel(ev)}${ev.result === undefined ? '' : ` = ${ev.result}`}${mark}`;
    rows.push([String(ev.step), ...threads.map((t) => (t === ev.thread ? cell : ''))]);
    for (const e of ev.events ?? []) rows.push(inColumn(ev.thread, `${indent}  · ${e}`));
    if (ev.step === hot && call !== undefined) rows.push(inColumn(ev.thread, `${indent}  -> ${call}  <-- ${f.kind}`));
    prev = ev.step;
  }
  return table(['step', ...threads.map((t) => `${t} (cpu${cpu.get(t)})`)], rows);
}
