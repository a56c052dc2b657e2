import { opLabel, type Finding, type TraceEvent } from '../../src/engine/index.ts';
import { brokeAt, cycleOf, violatingStep } from './interleaving.ts';
import { heldAt, lockSpans, type Span } from './locks.ts';
import { fullTrace, headline, stateDifference } from './report-text.ts';


const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Colours for lock objects, in order of first hold. */
const PALETTE = ['#e8a33d', '#5b9bd5', '#70ad47', '#b07cc6', '#d9534f', '#3fb6b2', '#c9a227', '#8c6d62'];
const ROW = 22;
const SLOT = 9;

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

/** Where each drawn step sits: its top, and its height (one row, plus one per event
 * of the model and for the call that broke the rule). A livelock's repeats of its
 * cycle are one row. */
interface Layout {
  readonly top: Map<number, number>;
  readonly rows: Map<number, number>;
  readonly folds: { top: number; text: string }[];
  readonly height: number;
}

function layout(f: Finding, call: string | undefined, hot: number | null): Layout {
  const c = cycleOf(f);
  const skip = c === undefined || c.times < 2 ? null : { from: c.from + c.ops.length, to: c.from + c.times * c.ops.length };
  const top = new Map<number, number>();
  const rows = new Map<number, number>();
  const folds: Layout['folds'] = [];
  let y = 0;
  for (const ev of f.trace) {
    if (skip !== null && ev.step >= skip.from && ev.step < skip.to) {
      if (ev.step === skip.from) {
        folds.push({ top: y, text: `steps ${skip.from}-${skip.to - 1}: the ${c!.ops.length} steps above, ${c!.times - 1} times more` });
        y += ROW;
      }
      continue;
    }
    const n = 1 + (ev.events?.length ?? 0) + (ev.step === hot && call !== undefined ? 1 : 0);
    top.set(ev.step, y);
    rows.set(ev.step, n);
    y += n * ROW;
  }
  return { top, rows, folds, height: y };
}

/** The hover text of a step: where, what, what its thread holds, what it touched,
 * what the model told of it. */
function stepTip(f: Finding, ev: TraceEvent, held: readonly string[], prev: string | null, hot: boolean): string {
  return [
    `step ${ev.step}`,
    `${ev.thread} on cpu${ev.cpu}`,
    `${opLabel(ev)}${ev.result === undefined ? '' : ` = ${ev.result}`}`,
    `locks held: ${held.length === 0 ? 'none' : held.join(', ')}`,
    ...(ev.footprint === undefined ? [] : [`touched: ${ev.footprint.length === 0 ? 'nothing recorded' : ev.footprint.join(', ')}`]),
    ...(ev.events ?? []).map((e) => `event: ${e}`),
    ...(prev !== null && prev !== ev.thread ? [`switched from ${prev}`] : []),
    ...(hot ? [`${f.kind}: ${f.message}`] : []),
  ].join('\n');
}

/** One self-contained page (no network; one inline script scrolls to the violating
 * step): time runs down the page, one lane per thread; lock and RCU holds are bars
 * beside the steps, the model's events sit under their step, the call that broke
 * the rule is marked (the step, or the call made inside it), and every step has its
 * details on hover: locks held, what it touched, its events. */
export function htmlReport(f: Finding, title: string, meta = ''): string {
  const threads = [...new Set(f.trace.map((ev) => ev.thread))];
  const cpu = new Map(f.trace.map((ev) => [ev.thread, ev.cpu]));
  const hot = violatingStep(f);
  const call = brokeAt(f);
  const spans = lockSpans(f.trace);
  const slot = slotsOf(spans);
  const objs = [...new Set(spans.map((s) => s.obj))];
  const colour = new Map(objs.map((o, i) => [o, PALETTE[i % PALETTE.length]!]));
  const slotsIn = (t: string) => Math.max(0, ...spans.filter((s) => s.thread === t).map((s) => slot.get(s)! + 1));
  const L = layout(f, call, hot);
  const yOf = (step: number) => L.top.get(step) ?? 0;
  const bottomOf = (step: number) => yOf(step) + (L.rows.get(step) ?? 1) * ROW;
  const prevThread = (i: number) => (i > 0 ? f.trace[i - 1]!.thread : null);

  const lanes = threads.map((t) => {
    const gutter = 6 + slotsIn(t) * SLOT;
    const holds = spans
      .filter((s) => s.thread === t)
      .map((s) => {
        const tip = `${t} holds ${s.obj} from step ${s.from} to ${s.open ? 'the end (never released)' : `step ${s.to}`}`;
        const style = `top:${yOf(s.from) + 3}px;height:${bottomOf(s.to) - yOf(s.from) - 6}px;left:${4 + slot.get(s)! * SLOT}px;background:${colour.get(s.obj)}`;
        return `<div class="hold${s.open ? ' open' : ''}" data-obj="${esc(s.obj)}" style="${style}" title="${esc(tip)}"></div>`;
      });
    const boxes = f.trace
      .filter((ev) => ev.thread === t && L.top.has(ev.step))
      .flatMap((ev) => {
        const label = `${opLabel(ev)}${ev.result === undefined ? '' : ` = ${ev.result}`}`;
        const isHot = ev.step === hot;
        const prev = prevThread(ev.step);
        const tip = stepTip(f, ev, heldAt(spans, ev), prev, isHot);
        const marked = isHot && call === undefined;
        const cls = `event${marked ? ' violation' : isHot ? ' hot' : ''}${prev !== null && prev !== t ? ' switch' : ''}`;
        const id = marked ? ' id="violation"' : '';
        const y = yOf(ev.step);
        const out = [`<div class="${cls}"${id} data-step="${ev.step}" style="top:${y}px;left:${gutter}px" title="${esc(tip)}">${esc(label)}${marked ? ` <b>&#9664; ${esc(f.kind)}</b>` : ''}</div>`];
        (ev.events ?? []).forEach((e, i) => out.push(`<div class="note" data-step="${ev.step}" style="top:${y + (i + 1) * ROW}px;left:${gutter + 14}px" title="${esc(e)}">${esc(e)}</div>`));
        if (isHot && call !== undefined) {
          const cy = y + (1 + (ev.events?.length ?? 0)) * ROW;
          const ctip = `the call that broke the rule, made in step ${ev.step}\n${call}\n${f.kind}: ${f.message}`;
          out.push(`<div class="call violation" id="violation" data-step="${ev.step}" style="top:${cy}px;left:${gutter + 14}px" title="${esc(ctip)}">${esc(call)} <b>&#9664; ${esc(f.kind)}</b></div>`);
        }
        return out;
      });
    return `<div class="lane" data-thread="${esc(t)}" style="height:${L.height}px">\n${holds.join('\n')}\n${boxes.join('\n')}\n</div>`;
  });
  const steps = f.trace
    .filter((ev) => L.top.has(ev.step))
    .map((ev) => `<div class="step${ev.step === hot ? ' hot' : ''}" style="top:${yOf(ev.step)}px" title="step ${ev.step}: ${esc(ev.thread)}">${ev.step}</div>`)
    .join('');
  const folds = L.folds.map((x) => `<div class="fold" style="top:${x.top}px">&#8942; ${esc(x.text)}</div>`).join('');
  const band = hot === null ? '' : `<div class="band" style="top:${yOf(hot)}px;height:${bottomOf(hot) - yOf(hot)}px"></div>`;
  const legend = objs.map((o) => `<span class="key" title="a bar: a thread holds ${esc(o)}"><i style="background:${colour.get(o)}"></i>${esc(o)}</span>`).join(' ');
  const cols = `grid-template-columns:48px repeat(${Math.max(1, threads.length)}, minmax(300px, 1fr))`;
  const diff = stateDifference(f);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;margin:20px;color:#1d1d1f;background:#fff}
h1{font-size:17px;margin:0 0 4px} h2{font-size:14px;margin:20px 0 6px}
.meta{color:#555;margin:0 0 10px;white-space:pre-wrap}
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
.band{position:absolute;left:0;right:0;background:rgba(198,40,40,.10);pointer-events:none;z-index:0}
.event,.note,.call{position:absolute;right:6px;height:${ROW - 4}px;margin-top:2px;line-height:${ROW - 4}px;padding:0 6px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;border-radius:3px;font-size:12px;cursor:default;z-index:1}
.event{background:#e3eefc;border:1px solid #9cbde8}
.event.switch{border-top:2px solid #4a78b5}
.event.hot{border-color:#c62828}
.note{color:#444;background:#fffbe6;border:1px dashed #d9c36a;font-size:11px}
.call{background:#fff;border:1px solid #c62828}
.violation{background:#c62828;border-color:#8e0000;color:#fff;box-shadow:0 0 0 2px #ffb3b3;z-index:2;scroll-margin:120px}
.fold{position:absolute;left:56px;right:6px;height:${ROW}px;line-height:${ROW}px;color:#666;font-style:italic}
.hold{position:absolute;width:6px;border-radius:3px;opacity:.9;z-index:1}
.hold.open{background-image:repeating-linear-gradient(45deg,rgba(255,255,255,.5) 0 3px,transparent 3px 6px)}
</style></head><body>
<h1>${esc(title)}</h1>
${meta === '' ? '' : `<p class="meta">${esc(meta)}</p>`}
<pre class="report">${esc(headline(f))}</pre>
<p class="legend">Time runs down; one lane per thread; bars are holds: ${legend === '' ? '(no locks held)' : legend} &middot; hover a step for its locks, footprint and events</p>
<div class="swim">
<div class="head">step</div>${threads.map((t) => `<div class="head">${esc(t)} <small>cpu${cpu.get(t)}</small></div>`).join('')}
<div class="body" style="height:${L.height}px">
<div class="steps">${steps}</div>
${lanes.join('\n')}
${band}${folds}
</div>
</div>
${diff.length === 0 ? '' : `<h2>State difference</h2>\n<pre class="diff">${esc(diff.join('\n'))}</pre>`}
<h2>Trace</h2>
<pre>${esc(fullTrace(f))}</pre>
<script>document.getElementById('violation')?.scrollIntoView({ block: 'center' });</script>
</body></html>
`;
}
