// The public suite ported into the project (bench/suite: SCTBench's CHESS
// work-stealing queues and SafeStack): schedules and wall time to the first bug for
// every searching strategy, the portfolio and fc.scheduler, median over seeds, and
// the portfolio's goals. Each bug's budget per seed is its scenario's own
// `bounds.schedules` (SafeStack's is larger), the same for every strategy.
// Measured, never asserted.
import { readdirSync } from 'node:fs';
import { loadScenario, type LoadedScenario, type StrategyName } from '../../src/engine/index.ts';
import { perSeed, summary, type Hit } from './finding.ts';
import { median } from './stats.ts';

export const SUITE = 'bench/suite';

/** The single strategies, then the portfolio, then the baseline. */
export const SINGLES = ['random', 'pct', 'pos', 'urw', 'guided', 'fastcheck', 'dpor', 'dfs'] as const satisfies readonly StrategyName[];
export type SuiteWho = (typeof SINGLES)[number] | 'portfolio' | 'fc.scheduler';
export const SUITE_WHO: readonly SuiteWho[] = [...SINGLES, 'portfolio', 'fc.scheduler'];

export interface SuiteSettings {
  readonly seeds: number;
  /** Schedules (runs, for fc.scheduler) one seed may spend, for a bug whose scenario
   * sets no `bounds.schedules`. */
  readonly budget: number;
}

export interface SuiteRow {
  readonly who: SuiteWho;
  readonly found: number;
  readonly seeds: number;
  /** Medians over the seeds that found it; NaN when none did. */
  readonly medianSchedules: number;
  readonly medianMs: number;
  /** The median over every seed, a miss counting as more than the budget
   * (Infinity): what the goals compare, so that one lucky seed of five is no median. */
  readonly medianAll: number;
  /** Milliseconds likewise. */
  readonly medianMsAll: number;
  /** Schedules (runs) to the bug with each seed, null where it was not found. */
  readonly perSeed: ReadonlyArray<number | null>;
  /** The portfolio's member that found it, per seed that did ("(prefix)": its run
   * followed a kept prefix). */
  readonly members?: readonly string[];
}

export interface SuiteBug {
  readonly bug: string;
  readonly file: string;
  /** Schedules (runs) per seed, for every strategy. */
  readonly budget: number;
  readonly rows: readonly SuiteRow[];
  /** The single strategy with the fewest median schedules over every seed, if any
   * found it with most seeds. */
  readonly best: SuiteWho | null;
  /** `found`: with most seeds (a finite median over every seed); the other two
   * compare medians over every seed, null when the other side has none. */
  readonly goals: { readonly found: boolean; readonly withinTwiceBest: boolean | null; readonly tenthOfFc: boolean | null };
}

const deterministic = (w: SuiteWho) => w === 'dpor' || w === 'dfs';

/** The bugs of the suite: its scenarios that expect a finding (those named, if any). */
export async function suiteBugs(names?: readonly string[]): Promise<LoadedScenario[]> {
  const files = readdirSync(SUITE).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).sort();
  const all = await Promise.all(files.map((f) => loadScenario(`${SUITE}/${f}`)));
  const bugs = all.filter((l) => l.scenario.expect !== 'clean');
  for (const n of names ?? []) if (!bugs.some((l) => l.scenario.name === n)) throw new Error(`--bugs: no bug '${n}' in ${SUITE} (${bugs.map((l) => l.scenario.name).join(', ')})`);
  return names === undefined ? bugs : bugs.filter((l) => names.includes(l.scenario.name));
}

async function row(l: LoadedScenario, who: SuiteWho, seeds: number, budget: number): Promise<SuiteRow> {
  const n = deterministic(who) ? 1 : seeds;
  const each = await perSeed(l, who, n, budget);
  const hits = each.filter((h): h is Hit => h !== null);
  return {
    who,
    ...summary(hits, n),
    medianAll: median(each.map((h) => h?.schedules ?? Infinity)),
    medianMsAll: median(each.map((h) => h?.ms ?? Infinity)),
    perSeed: each.map((h) => h?.schedules ?? null),
    ...(who === 'portfolio' ? { members: hits.map((h) => h.member ?? '?') } : {}),
  };
}

/** The best single strategy and the portfolio's goals: by the median over every
 * seed (misses as Infinity), then time, so that one lucky seed of five is no median. */
export function judge(rows: readonly SuiteRow[]): Pick<SuiteBug, 'best' | 'goals'> {
  const singles = rows.filter((r) => (SINGLES as readonly string[]).includes(r.who) && Number.isFinite(r.medianAll));
  singles.sort((a, b) => a.medianAll - b.medianAll || a.medianMsAll - b.medianMsAll);
  const best = singles[0] ?? null;
  const p = rows.find((r) => r.who === 'portfolio')!;
  const fcs = rows.find((r) => r.who === 'fc.scheduler')!;
  return {
    best: best?.who ?? null,
    goals: {
      found: Number.isFinite(p.medianAll),
      withinTwiceBest: best === null ? null : p.medianAll <= 2 * best.medianAll,
      tenthOfFc: !Number.isFinite(fcs.medianAll) ? null : p.medianAll * 10 <= fcs.medianAll,
    },
  };
}

export async function benchSuite(s: SuiteSettings, progress: (line: string) => void, names?: readonly string[]): Promise<SuiteBug[]> {
  const out: SuiteBug[] = [];
  for (const l of await suiteBugs(names)) {
    const budget = l.scenario.bounds?.schedules ?? s.budget;
    const rows: SuiteRow[] = [];
    for (const who of SUITE_WHO) {
      rows.push(await row(l, who, s.seeds, budget));
      progress(`suite: ${l.scenario.name} ${who} done`);
    }
    progress(`suite: ${l.scenario.name} done`);
    out.push({ bug: l.scenario.name, file: l.path, budget, rows, ...judge(rows) });
  }
  return out;
}
