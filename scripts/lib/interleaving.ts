import { opLabel, type Finding, type TraceEvent } from '../../src/engine/index.ts';
import { table } from './table.ts';

/** Steps worth showing: the ones around each switch, the ones on objects the
 * finding names or the violating step touches, and the last; `start` steps only
 * where a thread first runs. */
export function stepsThatMatter(f: Finding): TraceEvent[] {
  const tr = f.trace;
  const text = `${f.message}\n${f.report ?? ''}`;
  const hotObj = tr[Math.min(f.step, tr.length - 1)]?.obj;
  return tr.filter((ev, i) => {
    if (i === tr.length - 1) return true;
    const boundary = tr[i - 1]?.thread !== ev.thread || tr[i + 1]?.thread !== ev.thread;
    if (ev.op === 'start') return boundary && tr[i - 1]?.thread !== ev.thread;
    return boundary || (ev.obj !== undefined && (ev.obj === hotObj || text.includes(ev.obj)));
  });
}

/** A table with one column per thread, holding the steps that matter. */
export function interleavingTable(f: Finding): string {
  const threads = [...new Set(f.trace.map((ev) => ev.thread))];
  const cpu = new Map(f.trace.map((ev) => [ev.thread, ev.cpu]));
  const shown = stepsThatMatter(f);
  const rows: string[][] = [];
  let prev = -1;
  for (const ev of shown) {
    if (ev.step > prev + 1) rows.push(['', ...threads.map(() => '  ...')]);
    const cell = `${opLabel(ev)}${ev.result === undefined ? '' : ` = ${ev.result}`}`;
    rows.push([String(ev.step), ...threads.map((t) => (t === ev.thread ? cell : ''))]);
    prev = ev.step;
  }
  return table(['step', ...threads.map((t) => `${t} (cpu${cpu.get(t)})`)], rows);
}
