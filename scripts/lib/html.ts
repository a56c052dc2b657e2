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
  return spans.sort((a, b) => a.from - b.from || a.to - b.to);
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Colours for lock objects, in order of first hold. */
const PALETTE = ['#e8a33d', '#5b9bd5', '#70ad47', '#b07cc6', '#d9534f', '#3fb6b2', '#c9a227', '#8c6d62'];

/** Per thread, a column (slot) for each hold so nested holds sit side by side. */
function slotsOf(spans: readonly Span[]): Map<Span, number> {
  const slots = new Map<Span, number>();
  const busy = new Map<string, number[]>(); // thread -> last step held, per slot
  for (const s of spans) {
    const ends = busy.get(s.thread) ?? [];
    let i = ends.findIndex((end) => end < s.from);
    if (i < 0) i = ends.length;
    ends[i] = s.to;
    busy.set(s.thread, ends);
    slots.set(s, i);
  }
  return slots;
}

/** The step the page highlights: the finding's, or the last one run when the finding
 * came after it (a deadlock: nobody could take another step). */
export function violatingStep(f: Finding): number | null {
  if (f.trace.length === 0) return null;
  return Math.min(f.step, f.trace[f.trace.length - 1]!.step);
}

/** One self-contained page (no network, no script): time runs down the page, one
 * lane per thread; lock and RCU holds are bars beside the steps, the violating step
 * is highlighted, and every step and hold has its details on hover. */
export function htmlReport(f: Finding, title: string, meta = ''): string {
  const threads = [...new Set(f.trace.map((ev) => ev.thread))];
  const cpu = new Map(f.trace.map((ev) => [ev.thread, ev.cpu]));
  const hot = violatingStep(f);
  const ROW = 22;
  const SLOT = 9;
  const spans = lockSpans(f.trace);
  const slot = slotsOf(spans);
  const objs = [...new Set(spans.map((s) => s.obj))];
  const colour = new Map(objs.map((o, i) => [o, PALETTE[i % PALETTE.length]!]));
  const slotsIn = (t: string) => Math.max(0, ...spans.filter((s) => s.thread === t).map((s) => slot.get(s)! + 1));
  const height = f.trace.length * ROW;
  const prevThread = (i: number) => (i > 0 ? f.trace[i - 1]!.thread : null);

  const lanes = threads.map((t) => {
    const gutter = 6 + slotsIn(t) * SLOT;
    const holds = spans
      .filter((s) => s.thread === t)
      .map((s) => {
        const tip = `${t} holds ${s.obj} from step ${s.from} to ${s.open ? 'the end (never released)' : `step ${s.to}`}`;
        const style = `top:${s.from * ROW + 3}px;height:${(s.to - s.from + 1) * ROW - 6}px;left:${4 + slot.get(s)! * SLOT}px;background:${colour.get(s.obj)}`;
        return `<div class="hold${s.open ? ' open' : ''}" data-obj="${esc(s.obj)}" style="${style}" title="${esc(tip)}"></div>`;
      });
    const events = f.trace
      .filter((ev) => ev.thread === t)
      .map((ev) => {
        const label = `${opLabel(ev)}${ev.result === undefined ? '' : ` = ${ev.result}`}`;
        const isHot = ev.step === hot;
        const switched = prevThread(ev.step) !== null && prevThread(ev.step) !== t;
        const tip = [
          `step ${ev.step}`,
          `${t} on cpu${ev.cpu}`,
          label,
          ...(switched ? [`switched from ${prevThread(ev.step)}`] : []),
          ...(isHot ? [`${f.kind}: ${f.message}`] : []),
        ].join('\n');
        const cls = `event${isHot ? ' violation' : ''}${switched ? ' switch' : ''}`;
        return `<div class="${cls}" data-step="${ev.step}" style="top:${ev.step * ROW}px;left:${gutter}px" title="${esc(tip)}">${esc(label)}${isHot ? ` <b>&#9664; ${esc(f.kind)}</b>` : ''}</div>`;
      });
    return `<div class="lane" data-thread="${esc(t)}" style="height:${height}px">\n${holds.join('\n')}\n${events.join('\n')}\n</div>`;
  });
  const steps = f.trace
    .map((ev) => `<div class="step${ev.step === hot ? ' hot' : ''}" style="top:${ev.step * ROW}px" title="step ${ev.step}: ${esc(ev.thread)}">${ev.step}</div>`)
    .join('');
  const band = hot === null ? '' : `<div class="band" style="top:${hot * ROW}px"></div>`;
  const legend = objs.map((o) => `<span class="key" title="a bar: a thread holds ${esc(o)}"><i style="background:${colour.get(o)}"></i>${esc(o)}</span>`).join(' ');
  const cols = `grid-template-columns:48px repeat(${Math.max(1, threads.length)}, minmax(300px, 1fr))`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;margin:20px;color:#1d1d1f;background:#fff}
h1{font-size:17px;margin:0 0 4px} h2{font-size:14px;margin:20px 0 6px}
.meta{color:#555;margin:0 0 10px}
pre{background:#f5f5f7;border:1px solid #e0e0e3;border-radius:4px;padding:10px;overflow:auto;margin:0}
pre.report{border-left:4px solid #c62828;white-space:pre-wrap;word-break:break-word}
.legend{margin:12px 0 6px;color:#555} .key{margin-right:14px;white-space:nowrap} .key i{display:inline-block;width:9px;height:14px;margin-right:5px;vertical-align:-2px;border-radius:2px}
.swim{display:grid;${cols};column-gap:0;border:1px solid #d6d6da;border-radius:4px;overflow-x:auto}
.head{position:sticky;top:0;background:#eef0f4;font-weight:bold;padding:6px 8px;border-bottom:1px solid #d6d6da;border-left:1px solid #d6d6da;z-index:3}
.head:first-child{border-left:0;color:#666;font-weight:normal}
.head small{font-weight:normal;color:#666}
.body{position:relative;grid-column:1 / -1;display:grid;${cols};padding-bottom:6px}
.steps{position:relative}
.step{position:absolute;right:8px;height:${ROW}px;line-height:${ROW}px;color:#888;font-size:11px}
.step.hot{color:#c62828;font-weight:bold}
.lane{position:relative;border-left:1px solid #d6d6da;background:repeating-linear-gradient(#fff 0 ${ROW}px,#f7f8fa ${ROW}px ${2 * ROW}px)}
.band{position:absolute;left:0;right:0;height:${ROW}px;background:rgba(198,40,40,.10);pointer-events:none;z-index:0}
.event{position:absolute;right:6px;height:${ROW - 4}px;margin-top:2px;line-height:${ROW - 4}px;padding:0 6px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;background:#e3eefc;border:1px solid #9cbde8;border-radius:3px;font-size:12px;cursor:default;z-index:1}
.event.switch{border-top:2px solid #4a78b5}
.event.violation{background:#c62828;border-color:#8e0000;color:#fff;box-shadow:0 0 0 2px #ffb3b3;z-index:2}
.hold{position:absolute;width:6px;border-radius:3px;opacity:.9;z-index:1}
.hold.open{background-image:repeating-linear-gradient(45deg,rgba(255,255,255,.5) 0 3px,transparent 3px 6px)}
</style></head><body>
<h1>${esc(title)}</h1>
${meta === '' ? '' : `<p class="meta">${esc(meta)}</p>`}
<pre class="report">${esc(f.report ?? `${f.kind}: ${f.message}`)}</pre>
<p class="legend">Time runs down; one lane per thread; bars are holds: ${legend === '' ? '(no locks held)' : legend} &middot; hover a step for details</p>
<div class="swim">
<div class="head">step</div>${threads.map((t) => `<div class="head">${esc(t)} <small>cpu${cpu.get(t)}</small></div>`).join('')}
<div class="body" style="height:${height}px">
<div class="steps">${steps}</div>
${lanes.join('\n')}
${band}
</div>
</div>
<h2>Trace</h2>
<pre>${esc(renderTrace(f.trace))}</pre>
</body></html>
`;
}
