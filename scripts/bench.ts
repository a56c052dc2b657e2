// npm run bench: every figure of issue 7, measured side by side in one run on this
// machine. Prints one table and writes bench/results.json and
// bench/time-to-first-finding.svg. Not a test: nothing here asserts a timing.
//
// `npm run bench -- --only suite,strategies` runs only those sections (engine,
// model, strategies, suite, finding, exhaustive, many-threads, scale, split, review) and replaces only
// their figures in bench/results.json (`measured` says when each section ran);
// `--bugs safestack,wsq` runs only those bugs of the ported suite (then nothing is
// written: the suite's figures would be partial).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { bugs, catalogue, twins } from './bench/catalogue.ts';
import { findingChart } from './bench/chart.ts';
import { benchEngine } from './bench/engine.ts';
import { benchExhaustive, interleavings } from './bench/exhaustive.ts';
import { benchManyThreads, manyThreadRows } from './bench/many-threads.ts';
import { benchReview, reviewRows, type ReviewSettings } from './bench/review.ts';
import { benchSplit, splitRows, type SplitSettings } from './bench/split.ts';
import { benchFinding } from './bench/finding.ts';
import { goals, goals15, SECTIONS, type Machine, type Results, type Section, type Settings } from './bench/results.ts';
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
/** One large scenario on 1 and 2 workers: the v3 fixed twin with three splitters,
 * dfs within three preemptions (a complete proof, 217,458 schedules). */
const SPLIT: SplitSettings = { file: 'bench/scale/concurrent-splitters-fixed-3.ts', strategy: 'dfs', preemptions: 3 };
/** Issue 12's review bugs: random against the portfolio, 5 seeds each. */
const REVIEW: ReviewSettings = { seeds: 5, budget: 20_000 };
const OUT = 'bench';
const RESULTS = `${OUT}/results.json`;

const { values: args } = parseArgs({ options: { only: { type: 'string' }, bugs: { type: 'string' } } });
const list = (s: string | undefined) => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter((x) => x !== ''));
const only = list(args.only);
for (const s of only ?? []) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`--only: unknown section '${s}' (expected some of: ${SECTIONS.join(', ')})`);
const runs = (s: Section) => only === undefined || only.includes(s);
const suiteBugNames = list(args.bugs);

const progress = (line: string) => process.stderr.write(`${line}\n`);
const all = await catalogue();
const named = (n: string) => all.find((l) => l.scenario.name === n)!;

// What an earlier run measured: the sections this run leaves are kept from it.
const before: Partial<Results> = only !== undefined && existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Results) : {};
const now = new Date().toISOString();
const machine: Machine = { node: process.version, cpu: cpus()[0]?.model ?? '?', cpus: cpus().length, date: now };
const measuredAt: Partial<Record<Section, Machine>> = {};
for (const s of SECTIONS) {
  // A results.json from before `measured` existed: its sections ran on its machine.
  const kept = before.measured?.[s] ?? before.machine;
  if (runs(s)) measuredAt[s] = machine;
  else if (kept !== undefined) measuredAt[s] = kept;
}

// Engine first, before anything else has run in this process.
const engine = runs('engine') ? await benchEngine() : before.engine!;
if (runs('engine')) progress('engine done');

// Issue 15: the model's steps per second on the fixed twins and a 3-thread scenario,
// and a CPU profile of one of them, before the rest of the bench has filled the heap.
const ZAP = 'zap-without-split-fixed';
const model = runs('model')
  ? await benchModel(
      [{ l: named(V5) }, { l: named(V3) }, { l: named(ZAP) }, { l: named(V3), label: `${V3} (3 splitters)`, params: { splitters: 3 } }],
      SETTINGS.model.schedules,
      progress,
    )
  : before.model;
const profile = runs('model') ? await profileSplit(named(V5), SETTINGS.model.profileSchedules) : before.profile;
if (runs('model')) progress('model done');

const strategies = runs('strategies') ? await benchStrategies({ seeds: SETTINGS.seeds }) : before.strategies;
if (runs('strategies')) progress('strategies done');

const suite = runs('suite') ? await benchSuite(SETTINGS.suite, progress, suiteBugNames) : before.suite;

const finding = runs('finding') ? await benchFinding(bugs(all), SETTINGS, progress) : before.finding!;
// Issue 10's reduction rows: the two fixed twins, and the splitters' twin with a
// third thread.
let exhaustive = before.exhaustive!;
let counts = before.interleavings!;
if (runs('exhaustive')) {
  exhaustive = await benchExhaustive(
    [{ l: named(V5) }, { l: named(V3) }, { l: named(V3), label: `${V3} (3 splitters)`, params: { splitters: 3 } }],
    { capMs: SETTINGS.exhaustiveCapMs },
    progress,
  );
  // One exploration at a time: runs in one process never overlap.
  const fresh = [];
  for (const l of [named(V5), named(V3)]) {
    const c = await interleavings(l, SETTINGS.exhaustiveCapMs);
    if (c !== null) fresh.push(c);
  }
  counts = fresh;
}
const manyThreads = runs('many-threads') ? await benchManyThreads(progress) : before.manyThreads;

let scale = before.scale!;
if (runs('scale')) {
  const sweep = twins(all);
  await sweepThroughput(sweep.slice(0, 1), 1, { ...SETTINGS.pool, schedules: 1 }); // fills tsx's compile cache
  const pool = [await sweepThroughput(sweep, 1, SETTINGS.pool), await sweepThroughput(sweep, 2, SETTINGS.pool)];
  progress('pool done');
  const heap = await heap16TiB();
  const visits = [];
  for (const name of ['cost-12tib-walk', 'cost-12tib-head-tail']) {
    for (const [range, len] of RANGES) visits.push(await spteVisits(named(name).scenario as Scenario<cost_params>, range, len));
  }
  scale = { pool, speedup: pool[1]!.schedulesPerSec / pool[0]!.schedulesPerSec, heap, visits };
}

const split = runs('split') ? await benchSplit(SPLIT, progress) : before.split;
const review = runs('review') ? await benchReview(all, REVIEW, progress) : before.review;

const measured: Omit<Results, 'goals'> = {
  machine,
  measured: measuredAt,
  settings: SETTINGS,
  engine,
  finding,
  exhaustive,
  interleavings: counts,
  scale,
  strategies,
  suite,
  manyThreads,
  split,
  review,
  model,
  profile,
};
const whole = engine !== undefined && finding !== undefined && exhaustive !== undefined && scale !== undefined;
const results: Results = { ...measured, goals: whole ? goals(measured, V5) : [], goals15: whole ? goals15(measured, V5) : [] };

const shown = (s: Section) => runs(s);
const small = shown('strategies') && strategies !== undefined
  ? [
      ...strategies.find.map((r) => ['strategy', r.bug, r.strategy, `median ${r.medianSchedules} schedules / ${r.medianMs.toFixed(2)} ms (found ${r.found}/${r.seeds})`, '']),
      ...strategies.reduction.map((r) => ['reduction', `${r.program} (bound ${r.bound})`, 'dpor vs dfs', `${r.dporSchedules} vs ${r.dfsSchedules} (${r.equivalenceClasses} classes)`, '']),
    ]
  : [];
const main = whole ? rows(results).filter((r) => shown(r[0] === 'scale' ? 'scale' : r[0] === 'exhaustive' ? 'exhaustive' : r[0] === 'finding' ? 'finding' : r[0] === 'model' ? 'model' : 'engine')) : [];
const goalRows = only === undefined ? results.goals.map((g) => ['goal', g.goal, g.met ? 'met' : 'MISSED', g.figure, '']) : [];
const goal15Rows = only === undefined || runs('model') || runs('split') || runs('engine') ? (results.goals15 ?? []).map((g) => ['goal 15', g.goal, g.met ? 'met' : 'MISSED', g.figure, '']) : [];
console.log(table(HEADER, [...main, ...(shown('split') && split !== undefined ? splitRows(split) : []), ...(shown('review') && review !== undefined ? reviewRows(review, REVIEW) : []), ...small, ...(shown('suite') && suite !== undefined ? suiteRows(suite) : []), ...(shown('many-threads') && manyThreads !== undefined ? manyThreadRows(manyThreads) : []), ...goalRows, ...goal15Rows]));
if (suiteBugNames !== undefined) {
  progress('--bugs: a partial suite, nothing written');
} else if (!whole) {
  progress(`no full run in ${RESULTS} to add these sections to: nothing written (run npm run bench once)`);
} else {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  if (runs('finding')) writeFileSync(`${OUT}/time-to-first-finding.svg`, findingChart(finding, `Time to the first finding, median of ${SETTINGS.seeds} seeds (${results.machine.cpu}, one core)`));
  progress(`wrote ${RESULTS}${runs('finding') ? ` and ${OUT}/time-to-first-finding.svg` : ''}`);
}
