// npm run bench: every figure of issue 7, measured side by side in one run on this
// machine. Prints one table and writes bench/results.json and
// bench/time-to-first-finding.svg. Not a test: nothing here asserts a timing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { bugs, catalogue, twins } from './bench/catalogue.ts';
import { findingChart } from './bench/chart.ts';
import { benchEngine } from './bench/engine.ts';
import { benchExhaustive, interleavings } from './bench/exhaustive.ts';
import { benchManyThreads, manyThreadRows } from './bench/many-threads.ts';
import { benchFinding } from './bench/finding.ts';
import { goals, goals15, type Results, type Settings } from './bench/results.ts';
import { HEADER, rows } from './bench/rows.ts';
import { benchStrategies } from './bench/strategies.ts';
import { benchSuite } from './bench/suite.ts';
import { suiteRows } from './bench/suite-rows.ts';
import { heap16TiB, RANGES, spteVisits, sweepThroughput } from './bench/scale.ts';
import { benchModel, profileSplit } from './bench/model.ts';
import { table } from './lib/table.ts';
import type { cost_params } from '../scenarios/catalogue/_cost.ts';
import type { Scenario } from '../src/engine/index.ts';

const SETTINGS: Settings = {
  seeds: 10,
  budget: 2_000,
  exhaustiveCapMs: 20_000,
  pool: { strategy: 'random', schedules: 3_000, seed: 1 },
  suite: { seeds: 5, budget: 20_000 },
  model: { strategy: 'random', schedules: 3_000, seed: 1, profileSchedules: 4_000 },
};
/** The fixed v5 scenario and the v3 fixed twin the exhaustive section proves clean. */
const V5 = 'v5-44-fixed';
const V3 = 'concurrent-splitters-fixed';
const OUT = 'bench';

const progress = (line: string) => process.stderr.write(`${line}\n`);
const all = await catalogue();
const named = (n: string) => all.find((l) => l.scenario.name === n)!;

// Engine first, before anything else has run in this process.
const engine = await benchEngine();
progress('engine done');

// Issue 15: the model's steps per second on the fixed twins and a 3-thread scenario,
// and a CPU profile of one of them, before the rest of the bench has filled the heap.
const ZAP = 'zap-without-split-fixed';
const model = await benchModel(
  [{ l: named(V5) }, { l: named(V3) }, { l: named(ZAP) }, { l: named(V3), label: `${V3} (3 splitters)`, params: { splitters: 3 } }],
  SETTINGS.model.schedules,
  progress,
);
const profile = await profileSplit(named(V5), SETTINGS.model.profileSchedules);
progress('model done');

const strategies = await benchStrategies({ seeds: SETTINGS.seeds });
progress('strategies done');

const suite = await benchSuite(SETTINGS.suite, progress);

const finding = await benchFinding(bugs(all), SETTINGS, progress);
// Issue 10's reduction rows: the two fixed twins, and the splitters' twin with a
// third thread.
const exhaustive = await benchExhaustive(
  [{ l: named(V5) }, { l: named(V3) }, { l: named(V3), label: `${V3} (3 splitters)`, params: { splitters: 3 } }],
  { capMs: SETTINGS.exhaustiveCapMs },
  progress,
);
// One exploration at a time: runs in one process never overlap.
const counts = [];
for (const l of [named(V5), named(V3)]) {
  const c = await interleavings(l, SETTINGS.exhaustiveCapMs);
  if (c !== null) counts.push(c);
}
const manyThreads = await benchManyThreads(progress);

const sweep = twins(all);
await sweepThroughput(sweep.slice(0, 1), 1, { ...SETTINGS.pool, schedules: 1 }); // fills tsx's compile cache
const pool = [await sweepThroughput(sweep, 1, SETTINGS.pool), await sweepThroughput(sweep, 2, SETTINGS.pool)];
progress('pool done');
const heap = await heap16TiB();
const visits = [];
for (const name of ['cost-12tib-walk', 'cost-12tib-head-tail']) {
  for (const [range, len] of RANGES) visits.push(await spteVisits(named(name).scenario as Scenario<cost_params>, range, len));
}

const measured: Omit<Results, 'goals'> = {
  machine: { node: process.version, cpu: cpus()[0]?.model ?? '?', cpus: cpus().length, date: new Date().toISOString() },
  settings: SETTINGS,
  engine,
  finding,
  exhaustive,
  interleavings: counts,
  scale: { pool, speedup: pool[1]!.schedulesPerSec / pool[0]!.schedulesPerSec, heap, visits },
  strategies,
  suite,
  manyThreads,
  model,
  profile,
};
const results: Results = { ...measured, goals: goals(measured, V5), goals15: goals15(measured, V5) };

const small = [
  ...strategies.find.map((r) => ['strategy', r.bug, r.strategy, `median ${r.medianSchedules} schedules / ${r.medianMs.toFixed(2)} ms (found ${r.found}/${r.seeds})`, '']),
  ...strategies.reduction.map((r) => ['reduction', `${r.program} (bound ${r.bound})`, 'dpor vs dfs', `${r.dporSchedules} vs ${r.dfsSchedules} (${r.equivalenceClasses} classes)`, '']),
];
console.log(
  table(HEADER, [
    ...rows(results),
    ...small,
    ...suiteRows(suite, SETTINGS.suite),
    ...manyThreadRows(manyThreads),
    ...results.goals.map((g) => ['goal', g.goal, g.met ? 'met' : 'MISSED', g.figure, '']),
    ...results.goals15!.map((g) => ['goal 15', g.goal, g.met ? 'met' : 'MISSED', g.figure, '']),
  ]),
);
mkdirSync(OUT, { recursive: true });
writeFileSync(`${OUT}/results.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(`${OUT}/time-to-first-finding.svg`, findingChart(finding, `Time to the first finding, median of ${SETTINGS.seeds} seeds (${results.machine.cpu}, one core)`));
progress(`wrote ${OUT}/results.json and ${OUT}/time-to-first-finding.svg`);
