// Bug finding: schedules and wall time to the first finding of every catalogue bug,
// for each strategy and both baselines, over seeds. One core: everything runs in
// this process, one exploration at a time.
import fc from 'fast-check';
import { explore, type LoadedScenario, type StrategyName } from '../../src/engine/index.ts';
import { runOnScheduler } from './fc-run.ts';
import { observed } from './observe.ts';
import { median, ratio } from './stats.ts';

/** Septcheck's strategies, then the two baselines. */
export const STRATEGIES = ['random', 'pct', 'pos', 'urw', 'guided', 'fastcheck', 'dpor', 'dfs', 'portfolio'] as const satisfies readonly StrategyName[];
export const BASELINES = ['fc.scheduler', 'stress'] as const;
export type Who = (typeof STRATEGIES)[number] | (typeof BASELINES)[number];
export const WHO: readonly Who[] = [...STRATEGIES, ...BASELINES];

/** Exhaustive strategies ignore the seed: one run stands for all. */
export const deterministic = (w: Who) => w === 'dpor' || w === 'dfs';

export interface FindSettings {
  readonly seeds: number;
  /** Schedules (runs, for the baselines) one seed may spend. */
  readonly budget: number;
}

export interface FindRow {
  readonly who: Who;
  /** Seeds (or the one deterministic run) that found a bug within the budget. */
  readonly found: number;
  readonly seeds: number;
  /** Medians over the seeds that found it; NaN when none did. */
  readonly medianSchedules: number;
  readonly medianMs: number;
  /** Finding kinds seen, in case one is not the scenario's. */
  readonly kinds: readonly string[];
}

export interface BugResult {
  readonly bug: string;
  readonly file: string;
  readonly expect: string;
  readonly rows: readonly FindRow[];
  /** The septcheck strategy with the fewest median schedules (then least time). */
  readonly best: Who;
  /** Baseline schedules over the best's; lower bounds when a baseline found nothing. */
  readonly vs: Record<(typeof BASELINES)[number], { value: number; lowerBound: boolean }>;
  /** Under 1 s median, and >= 10x fewer schedules than both baselines. */
  readonly met: boolean;
}

export interface Hit {
  readonly schedules: number;
  readonly ms: number;
  readonly kind: string;
  /** The portfolio's member that found it. */
  readonly member?: string;
}

/** One exploration of a septcheck strategy (or the stress baseline). */
export async function viaExplore(l: LoadedScenario, strategy: StrategyName, seed: number, budget: number): Promise<Hit | null> {
  const b = l.scenario.bounds ?? {};
  let at = NaN;
  const t0 = performance.now();
  const program = observed(l.scenario, (run) => {
    if (run.finding !== null && Number.isNaN(at)) at = performance.now() - t0;
  });
  const r = await explore(program, { strategy, seed, schedules: budget, shrink: false, maxSteps: b.maxSteps, preemptions: b.preemptions });
  const f = r.findings[0];
  if (f === undefined) return null;
  // The portfolio's member, and whether its run followed a kept prefix.
  const member = typeof r.stats.foundBy === 'string' ? `${r.stats.foundBy}${r.stats.foundFrom === 'prefix' ? ' (prefix)' : ''}` : undefined;
  return { schedules: Number(r.stats.firstFindingAt), ms: at, kind: f.kind, ...(member === undefined ? {} : { member }) };
}

/** Baseline (a): the scenario's setup under fc.assert with fc.scheduler(). */
export async function viaFcScheduler(l: LoadedScenario, seed: number, budget: number): Promise<Hit | null> {
  const s = l.scenario;
  const opts = { maxSteps: s.bounds?.maxSteps ?? 10_000, shared: new Map<string, unknown>() };
  let runs = 0;
  let hit: Hit | null = null;
  const t0 = performance.now();
  const property = fc.asyncProperty(fc.scheduler(), async (sch) => {
    runs++;
    const run = await runOnScheduler(sch, s, s.params, opts);
    if (run.finding !== null) hit ??= { schedules: runs, ms: performance.now() - t0, kind: run.finding.kind };
    return run.finding === null;
  });
  await fc.assert(property, { seed, numRuns: budget }).catch((e: unknown) => {
    if (hit === null) throw e;
  });
  return hit;
}

/** What `who` did on `l` with each of `seeds` seeds (1, 2, ...): a hit, or null. */
export async function perSeed(l: LoadedScenario, who: StrategyName | 'fc.scheduler', seeds: number, budget: number): Promise<Array<Hit | null>> {
  const out: Array<Hit | null> = [];
  for (let seed = 1; seed <= seeds; seed++) out.push(who === 'fc.scheduler' ? await viaFcScheduler(l, seed, budget) : await viaExplore(l, who, seed, budget));
  return out;
}

/** The hits of `who` on `l` over `seeds` seeds (1, 2, ...), the misses left out. */
export async function hitsOf(l: LoadedScenario, who: StrategyName | 'fc.scheduler', seeds: number, budget: number): Promise<Hit[]> {
  return (await perSeed(l, who, seeds, budget)).filter((h): h is Hit => h !== null);
}

/** How many seeds found it, and the medians over those that did. */
export function summary(hits: readonly Hit[], seeds: number): { found: number; seeds: number; medianSchedules: number; medianMs: number } {
  return { found: hits.length, seeds, medianSchedules: median(hits.map((h) => h.schedules)), medianMs: median(hits.map((h) => h.ms)) };
}

async function row(l: LoadedScenario, who: Who, s: FindSettings): Promise<FindRow> {
  const seeds = deterministic(who) ? 1 : s.seeds;
  const hits = await hitsOf(l, who, seeds, s.budget);
  return { who, ...summary(hits, seeds), kinds: [...new Set(hits.map((h) => h.kind))] };
}

export async function benchFinding(bugs: readonly LoadedScenario[], s: FindSettings, progress: (line: string) => void): Promise<BugResult[]> {
  const out: BugResult[] = [];
  for (const l of bugs) {
    const rows: FindRow[] = [];
    for (const who of WHO) rows.push(await row(l, who, s));
    progress(`finding: ${l.scenario.name} done`);
    const ours = rows.filter((r) => (STRATEGIES as readonly Who[]).includes(r.who) && !Number.isNaN(r.medianSchedules));
    ours.sort((a, b) => a.medianSchedules - b.medianSchedules || a.medianMs - b.medianMs);
    const best = ours[0] ?? rows[0]!;
    const base = (w: Who) => rows.find((r) => r.who === w)!.medianSchedules;
    const vs = { 'fc.scheduler': ratio(best.medianSchedules, base('fc.scheduler'), s.budget), stress: ratio(best.medianSchedules, base('stress'), s.budget) };
    const met = best.medianMs < 1000 && vs['fc.scheduler'].value >= 10 && vs.stress.value >= 10;
    out.push({ bug: l.scenario.name, file: l.path, expect: l.scenario.expect, rows, best: best.who, vs, met });
  }
  return out;
}
