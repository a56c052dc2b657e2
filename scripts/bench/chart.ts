// The time-to-first-finding chart: one group of bars per catalogue bug, one bar per
// strategy and baseline, median wall time on a log scale. Hand-written SVG.
import type { BugResult, Who } from './finding.ts';
import { BASELINES, WHO } from './finding.ts';
import { count, ms } from './stats.ts';

const COLOUR: Record<Who, string> = {
  random: '#4e79a7',
  pct: '#f28e2b',
  pos: '#edc948',
  urw: '#b07aa1',
  guided: '#ff9da7',
  portfolio: '#9c755f',
  fastcheck: '#e15759',
  dpor: '#59a14f',
  dfs: '#76b7b2',
  'fc.scheduler': '#6b6b6b',
  stress: '#b5b5b5',
};

const W = 960;
const LEFT = 250;
const RIGHT = 150;
const TOP = 70;
const BAR = 10;
const GAP = 14;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function findingChart(results: readonly BugResult[], title: string): string {
  const times = results.flatMap((b) => b.rows.map((r) => r.medianMs)).filter((t) => Number.isFinite(t) && t > 0);
  const lo = Math.floor(Math.log10(Math.min(...times, 1)));
  // Up to 1 s at least: the goal line.
  const hi = Math.max(3, Math.ceil(Math.log10(Math.max(...times))));
  const plotW = W - LEFT - RIGHT;
  const x = (t: number) => LEFT + ((Math.log10(t) - lo) / (hi - lo)) * plotW;
  const groupH = WHO.length * BAR + GAP;
  const H = TOP + results.length * groupH + 40;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  let lx = 40;
  for (const w of WHO) {
    const name = (BASELINES as readonly Who[]).includes(w) ? `${w} (baseline)` : w;
    out.push(`<rect x="${lx}" y="34" width="10" height="10" fill="${COLOUR[w]}"/><text x="${lx + 14}" y="43">${esc(name)}</text>`);
    lx += 34 + name.length * 6.5;
  }
  const bottom = TOP + results.length * groupH;
  for (let e = lo; e <= hi; e++) {
    const gx = x(10 ** e);
    const label = e >= 3 ? `${10 ** (e - 3)} s` : `${+(10 ** e).toPrecision(1)} ms`;
    out.push(`<line x1="${gx}" y1="${TOP - 6}" x2="${gx}" y2="${bottom}" stroke="#ddd"/>`);
    out.push(`<text x="${gx}" y="${bottom + 16}" text-anchor="middle" fill="#444">${label}</text>`);
  }
  const goal = x(1000);
  out.push(`<line x1="${goal}" y1="${TOP - 6}" x2="${goal}" y2="${bottom}" stroke="#c00" stroke-dasharray="4 3"/>`);
  out.push(`<text x="${goal + 4}" y="${TOP - 8}" fill="#c00">goal: 1 s</text>`);
  out.push(`<text x="${LEFT + plotW / 2}" y="${bottom + 32}" text-anchor="middle" fill="#444">median wall time to the first finding (log scale; label: median schedules or runs)</text>`);
  results.forEach((b, g) => {
    const y0 = TOP + g * groupH;
    out.push(`<text x="${LEFT - 8}" y="${y0 + (WHO.length * BAR) / 2 + 4}" text-anchor="end">${esc(b.bug)}</text>`);
    WHO.forEach((w, i) => {
      const r = b.rows.find((row) => row.who === w);
      const y = y0 + i * BAR;
      if (r === undefined) return;
      const tip = `${w} on ${b.bug}: ${r.found}/${r.seeds} found; median ${count(r.medianSchedules)} schedules, ${ms(r.medianMs)}`;
      if (r.found === 0 || !Number.isFinite(r.medianMs)) {
        out.push(`<text x="${LEFT + 4}" y="${y + BAR - 2}" fill="#b00"><title>${esc(tip)}</title>${esc(w)}: not found</text>`);
        return;
      }
      const end = Math.max(LEFT + 1, x(Math.max(r.medianMs, 10 ** lo)));
      out.push(`<rect x="${LEFT}" y="${y + 1}" width="${(end - LEFT).toFixed(1)}" height="${BAR - 2}" fill="${COLOUR[w]}"><title>${esc(tip)}</title></rect>`);
      out.push(`<text x="${(end + 4).toFixed(1)}" y="${y + BAR - 1}" font-size="9" fill="#333">${esc(`${ms(r.medianMs)} · ${count(r.medianSchedules)}`)}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
