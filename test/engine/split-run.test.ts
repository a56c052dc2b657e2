// The sweep's coordinator of a split scenario (scripts/lib/parts.ts), driven without
// workers: the parts it hands out run here, finishing in a seeded random order with
// several in flight, under the caps it sets (lowered while they "run"). Whatever the
// order, and with budgets that cut the exploration in any item, its record is the
// one of the items run one after another (exploreSplit), and for dfs the whole
// exploration's.
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { explore, explorePart, exploreSplit, planSplit, reconcile, type ExploreOptions, type Finding, type Program } from '../../src/engine/index.ts';
import { SplitRun, type PartRecord } from '../../scripts/lib/parts.ts';
import type { SweepTask, TaskResult } from '../../scripts/lib/pool.ts';
import type { FindingRecord, SweepSettings } from '../../scripts/lib/record.ts';
import { randomProgram } from '../fixtures/random-programs.ts';

const asRecord = (f: Finding): FindingRecord => ({ kind: f.kind, message: f.message, token: JSON.stringify([f.schedule, f.prelude ?? [], f.params]), originalSteps: f.originalSteps ?? 0, minimalSteps: f.minimalSteps ?? 0, trace: '' });

/** Runs a split scenario through SplitRun with up to `lanes` parts in flight,
 * finishing them in an order drawn from `seed`. */
async function coordinate(p: Program, settings: SweepSettings, opts: ExploreOptions, lanes: number, seed: string) {
  const plan = await planSplit(p, opts);
  const base: SweepTask = { kind: 'run', file: `${p.name}.ts`, abs: `/${p.name}.ts`, hash: 'h', settings, tokenRoot: '.', info: { file: `${p.name}.ts`, hash: 'h', name: p.name, variant: '-', strategy: String(opts.strategy), expected: 'clean' } };
  const run = new SplitRun(base, plan, { mine: () => true, speculate: true, resolves: true });
  const rng = seedrandom.alea(seed);
  const flight: SweepTask[] = [];
  const started = new Set<number>();
  let again = 0;
  while (run.record === null) {
    while (flight.length < lanes) {
      const t = run.next();
      if (t === null) break;
      flight.push(t);
      if (t.part !== undefined && started.has(t.part.item)) again++;
      if (t.part !== undefined) started.add(t.part.item);
    }
    expect(flight.length, 'nothing in flight and nothing to start').toBeGreaterThan(0);
    const t = flight.splice(Math.floor(rng() * flight.length), 1)[0]!;
    let r: TaskResult;
    if (t.kind === 'part') {
      const slot = new Float64Array(t.control!);
      const part = await explorePart(p, opts, plan, t.part!.item, { cap: t.part!.cap, liveCap: () => slot[0]! });
      r = { kind: 'part', part: { ...part, findings: part.findings.map(asRecord) } as PartRecord };
    } else {
      const rec = await reconcile(p, opts, t.witnesses!);
      r = { kind: 'reconciled', reconciled: { ...rec, findings: rec.findings.map(asRecord) } };
    }
    run.done(t, r);
  }
  return { record: run.record, again };
}

describe('SplitRun, parts finishing in any order', () => {
  it('gives the record of the items run in order, and dfs the whole exploration, at any budget', async () => {
    let reruns = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const p = randomProgram(seed);
      for (const strategy of ['dfs', 'dpor'] as const) {
        for (const schedules of [2, 7, 25, 1e6]) {
          for (const keepGoing of [false, true]) {
            const settings: SweepSettings = { strategy, schedules, ...(keepGoing ? { keepGoing: true } : {}) };
            const opts: ExploreOptions = { strategy, schedules, preemptions: 2, ...(keepGoing ? { stopOnFirst: false, firstOfEachKind: true } : {}) };
            const inOrder = await exploreSplit(p, opts);
            const { record, again } = await coordinate(p, settings, opts, 3, `${seed}/${schedules}`);
            reruns += again;
            const at = `${p.name}, ${strategy}, ${schedules} schedules, keepGoing ${keepGoing}`;
            expect(record.schedules, at).toBe(inOrder.stats.schedules);
            expect([record.verdictClass, record.bound ?? null], at).toEqual([inOrder.verdict.class, inOrder.verdict.bound ?? null]);
            expect(record.findings.map((f) => [f.kind, f.message, f.token]), at).toEqual(inOrder.findings.map(asRecord).map((f) => [f.kind, f.message, f.token]));
            if (strategy === 'dfs') {
              const whole = await explore(p, opts);
              expect([record.schedules, record.verdictClass], at).toEqual([whole.stats.schedules, whole.verdict.class]);
              expect(record.findings.map((f) => f.token), at).toEqual(whole.findings.map(asRecord).map((f) => f.token));
            }
          }
        }
      }
    }
    // Parts started early ran past what they were left (or were stopped and then
    // counted after all), and ran again.
    expect(reruns).toBeGreaterThan(0);
  }, 300_000);
});
