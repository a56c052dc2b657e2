// Issue 12's review bugs: for each one, the median schedules (and wall time) to the
// first finding over a few seeds, for the `random` strategy and for the default
// portfolio, side by side in one run. A bug that needs a particular interleaving of
// three or more threads should take `random` at least 20 schedules (median): that is
// the goal its row judges. Nothing here is asserted; figures move from run to run.
import { Run, type LoadedScenario, type StrategyName } from '../../src/engine/index.ts';
import { hitsOf, summary } from './finding.ts';
import { count, median, ms } from './stats.ts';

/** A review bug of issue 12, by scenario name, and what it needs to show. */
export interface ReviewBug {
  readonly scenario: string;
  /** It needs a particular interleaving of three or more threads. */
  readonly interleaving: boolean;
  /** It needs an injected fault (the scenario's `faults` budget). */
  readonly fault: boolean;
}

/** Issue 12's review bugs, in the order docs/scenarios.md lists them. */
export const REVIEW_BUGS: readonly ReviewBug[] = [
  { scenario: 'pamt-cache-punch-hole-only', interleaving: false, fault: false },
  { scenario: 'zap-cannot-fail', interleaving: false, fault: true },
  { scenario: 'v5-44-root-leak', interleaving: false, fault: true },
  { scenario: 'v5-08-stats-first', interleaving: false, fault: true },
  { scenario: 'dpamt-put-outside-lock', interleaving: false, fault: false },
  { scenario: 'dpamt-v4-08', interleaving: true, fault: false },
];

export interface ReviewSettings {
  readonly seeds: number;
  /** Schedules one seed may spend. */
  readonly budget: number;
}

const WHO = ['random', 'portfolio'] as const satisfies readonly StrategyName[];

export interface ReviewRow {
  readonly who: (typeof WHO)[number];
  readonly found: number;
  readonly seeds: number;
  /** Medians over the seeds that found it; NaN when none did. */
  readonly medianSchedules: number;
  readonly medianMs: number;
  readonly kinds: readonly string[];
  /** The median over every seed, a seed that found nothing counting as more than the
   * budget; null when that is most of them (the median is then above the budget). */
  readonly medianAllSeeds: number | null;
}

export interface ReviewResult extends ReviewBug {
  readonly expect: string;
  readonly threads: number;
  readonly rows: readonly ReviewRow[];
}

/** The threads a scenario's set-up spawns (not the fault injectors, which are free). */
function threadsOf(l: LoadedScenario): number {
  const run = new Run(() => 0, { maxSteps: l.scenario.bounds?.maxSteps ?? 10_000, shared: new Map() });
  l.scenario.setup(run, l.scenario.params);
  return run.threads.filter((t) => !t.free).length;
}

export async function benchReview(all: readonly LoadedScenario[], s: ReviewSettings, progress: (line: string) => void): Promise<ReviewResult[]> {
  const out: ReviewResult[] = [];
  for (const b of REVIEW_BUGS) {
    const l = all.find((x) => x.scenario.name === b.scenario);
    if (l === undefined) throw new Error(`bench review: no catalogue scenario '${b.scenario}'`);
    const rows: ReviewRow[] = [];
    for (const who of WHO) {
      const hits = await hitsOf(l, who, s.seeds, s.budget);
      const all = [...hits.map((h) => h.schedules), ...Array<number>(s.seeds - hits.length).fill(Infinity)];
      const m = median(all);
      rows.push({ who, ...summary(hits, s.seeds), kinds: [...new Set(hits.map((h) => h.kind))], medianAllSeeds: Number.isFinite(m) ? m : null });
    }
    out.push({ ...b, expect: l.scenario.expect, threads: threadsOf(l), rows });
    progress(`review: ${b.scenario} done`);
  }
  return out;
}

/** The table rows: random and portfolio side by side per bug, then the goal. */
export function reviewRows(bugs: readonly ReviewResult[], s: ReviewSettings): string[][] {
  const out: string[][] = [];
  for (const b of bugs) {
    const needs = [b.fault ? 'a fault' : '', b.interleaving ? `${b.threads} threads interleaved` : ''].filter((x) => x !== '').join(', ');
    const subject = `${b.scenario} (${needs === '' ? `${b.threads} threads` : needs})`;
    for (const x of b.rows) {
      const figure = x.found === 0 ? `not found in ${count(s.budget)} schedules (0/${x.seeds} seeds)` : `median ${count(x.medianSchedules)} schedules, ${ms(x.medianMs)} (${x.found}/${x.seeds} seeds)`;
      const odd = x.kinds.filter((k) => k !== b.expect);
      // The goal takes every seed: one that found nothing took more than the budget.
      const all = x.medianAllSeeds === null ? `> ${count(s.budget)}` : count(x.medianAllSeeds);
      const goal = x.who === 'random' && b.interleaving ? `>= 20 over all seeds (${all}): ${x.medianAllSeeds === null || x.medianAllSeeds >= 20 ? 'met' : 'MISSED'}` : '';
      out.push(['review', subject, x.who, odd.length > 0 ? `${figure}; also ${odd.join(', ')}` : figure, goal]);
    }
  }
  return out;
}
