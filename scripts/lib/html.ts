import { opLabel, renderTrace, type Finding, type TraceEvent } from '../../src/engine/index.ts';

/** Acquire operations and the release that ends their hold. */
const RELEASE: Readonly<Record<string, string>> = {
  spin_lock: 'spin_unlock',
  spin_lock_bh: 'spin_unlock_bh',
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

interface Span {
  readonly thread: string;
  readonly obj: string;
  readonly from: number;
  readonly to: number;
  readonly open: boolean;
}

/** Lock-hold spans per thread, from acquire to matching release (or the end). */
export function lockSpans(trace: readonly TraceEvent[]): Span[] {
  const open = new Map<string, { from: number; release: string }[]>();
  const spans: Span[] = [];
  for (const ev of trace) {
    const obj = ev.obj ?? (ev.op.startsWith('rcu_') ? 'rcu' : undefined);
    if (obj === undefined) continue;
    const key = `${ev.thread}\u0000${obj}`;
    const release = RELEASE[ev.op];
    if (release !== undefined && ev.result !== 'failed' && ev.result !== '0') {
      open.set(key, [...(open.get(key) ?? []), { from: ev.step, release }]);
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
  return spans;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One self-contained page (no network): a swimlane per thread, lock holds as bars,
 * the violating step highlighted, details on hover. */
export function htmlReport(f: Finding, title: string): string {
  const threads = [...new Set(f.trace.map((ev) => ev.thread))];
  const lane = new Map(threads.map((t, i) => [t, i]));
  const W = 34;
  const LANE = 64;
  const width = Math.max(1, f.trace.length) * W + 40;
  const events = f.trace
    .map((ev) => {
      const hot = ev.step === f.step;
      const tip = `step ${ev.step} | ${ev.thread} on cpu${ev.cpu} | ${opLabel(ev)}${ev.result === undefined ? '' : ` = ${ev.result}`}`;
      return `<div class="event${hot ? ' violation' : ''}" data-step="${ev.step}" style="left:${ev.step * W}px;top:${lane.get(ev.thread)! * LANE + 6}px" title="${esc(tip)}">${esc(ev.op)}</div>`;
    })
    .join('\n');
  const spans = lockSpans(f.trace)
    .map((s) => {
      const left = s.from * W;
      const w = (s.to - s.from + 1) * W - 4;
      const tip = `${s.thread} holds ${s.obj} from step ${s.from} to ${s.open ? 'the end' : `step ${s.to}`}`;
      return `<div class="hold${s.open ? ' open' : ''}" style="left:${left}px;width:${w}px;top:${lane.get(s.thread)! * LANE + 36}px" title="${esc(tip)}">${esc(s.obj)}</div>`;
    })
    .join('\n');
  const lanes = threads
    .map((t, i) => `<div class="lane" data-thread="${esc(t)}" style="top:${i * LANE}px;width:${width}px"><span class="name">${esc(t)}</span></div>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:13px/1.4 ui-monospace,monospace;margin:16px;color:#222}
h1{font-size:16px} pre{background:#f6f6f6;padding:8px;overflow:auto}
.wrap{display:flex} .names{width:120px;flex:none;position:relative;height:${threads.length * LANE}px}
.names div{position:absolute;height:${LANE}px;line-height:${LANE}px;font-weight:bold}
.timeline{position:relative;overflow-x:auto;height:${threads.length * LANE + 20}px;flex:1}
.lane{position:absolute;left:0;height:${LANE - 2}px;border-bottom:1px solid #ddd;background:#fafafa}
.lane .name{display:none}
.event{position:absolute;width:${W - 4}px;height:26px;font-size:9px;overflow:hidden;background:#cfe3ff;border:1px solid #7aa7e0;border-radius:3px;text-align:center;line-height:26px;cursor:default}
.event.violation{background:#ff6b6b;border-color:#b00;color:#fff;font-weight:bold;box-shadow:0 0 0 3px #ffbcbc}
.hold{position:absolute;height:14px;font-size:9px;line-height:14px;background:#ffd98a;border:1px solid #d6a630;border-radius:7px;padding-left:4px;overflow:hidden}
.hold.open{background:#ffb36b}
</style></head><body>
<h1>${esc(title)}</h1>
<pre>${esc(f.report ?? `${f.kind}: ${f.message}`)}</pre>
<div class="wrap"><div class="names">${threads.map((t, i) => `<div style="top:${i * LANE}px">${esc(t)}</div>`).join('')}</div>
<div class="timeline">
${lanes}
${spans}
${events}
</div></div>
<h2>Trace</h2>
<pre>${esc(renderTrace(f.trace))}</pre>
</body></html>
`;
}
