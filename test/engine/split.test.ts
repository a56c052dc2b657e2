// A scenario's exploration split into work items (split.ts, the sweep's --split):
// the parts, finished in any order, give one exploration's result; dfs's is the
// whole exploration's byte for byte; budgets cut it as they cut one exploration;
// cross-schedule state (lockdep) is reconciled across parts.
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import {
  explore,
  exploreSplit,
  followTraced,
  planSplit,
  resolveParts,
  type ExploreOptions,
  type ExploreResult,
  type PartOutcome,
  type Program,
  type SplitPlan,
} from '../../src/engine/index.ts';
import { counter, independent } from '../fixtures/programs.ts';
import { randomProgram } from '../fixtures/random-programs.ts';
import claimThenLockScenario from '../e2e/fixtures/split/claim-then-lock.ts';

/** Everything a result says except how it was split. */
function comparable(r: ExploreResult): string {
  const { split: _, reconciled: __, ...stats } = r.stats;
  const findings = r.findings.map((f) => ({ kind: f.kind, message: f.message, schedule: f.schedule, prelude: f.prelude, params: f.params, steps: [f.originalSteps, f.minimalSteps], trace: f.trace }));
  return JSON.stringify({ findings, stats, verdict: r.verdict });
}

/** A pick that finishes the candidates in a seeded random order. */
const shuffled = (seed: string) => {
  const rng = seedrandom.alea(seed);
  return (c: readonly number[]) => c[Math.floor(rng() * c.length)]!;
};

describe('dfs split into prefixes is the whole dfs, byte for byte', () => {
  it('on 40 random programs, any budget, stopping at the first finding or not, parts finishing in any order', async () => {
    let split = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const p = randomProgram(seed);
      for (const schedules of [3, 10, 1e6]) {
        for (const stopOnFirst of [true, false]) {
          const o: ExploreOptions = { strategy: 'dfs', preemptions: [0, 1, 2, undefined][seed % 4], schedules, stopOnFirst, firstOfEachKind: !stopOnFirst };
          const whole = await explore(p, o);
          for (const target of [2, 4]) {
            const r = await exploreSplit(p, o, { target, pick: shuffled(`${seed}/${schedules}/${target}`) });
            if (r.plan.items.length > 1) split++;
            expect(comparable(r), `${p.name}, ${schedules} schedules, stopOnFirst ${stopOnFirst}, target ${target}`).toBe(comparable(whole));
          }
        }
      }
    }
    expect(split).toBeGreaterThan(300);
  }, 120_000);
});

describe('a cut-short part proves nothing', () => {
  it('a budget that runs out in any part leaves the merged verdict sampled, never proved', async () => {
    const p = counter(true);
    const full = await exploreSplit(p, { strategy: 'dfs', schedules: 1e6, params: { threads: 3 } }, { target: 4 });
    expect(full.plan.items.length).toBeGreaterThan(1);
    expect(full.verdict.class).toBe('proved');
    for (let b = 1; b < full.stats.schedules; b += 7) {
      const r = await exploreSplit(p, { strategy: 'dfs', schedules: b, params: { threads: 3 } }, { target: 4, pick: shuffled(`${b}`) });
      expect(r.verdict).toEqual({ class: 'sampled', schedules: b });
    }
  });

  it('resolution: a missing, failed or over-budget part is never counted as explored', () => {
    const plan: SplitPlan = { strategy: 'dfs', items: [0, 1, 2].map(() => ({ kind: 'prefix', prefix: [] })), budgets: [10, 10, 10], shared: 10, exhaustive: true, bound: null, cut: false };
    const part = (item: number, schedules: number, over: Partial<PartOutcome> = {}): [number, PartOutcome] => [item, { item, cap: 10, schedules, exhausted: true, found: false, ...over }];
    expect(resolveParts(plan, new Map([part(0, 3), part(2, 3)]), true)).toEqual({ state: 'waiting', waiting: 1, taken: [0] });
    expect(resolveParts(plan, new Map([part(0, 3), part(1, 3, { error: 'timeout' }), part(2, 3)]), true)).toEqual({ state: 'error', item: 1, taken: [0] });
    // Item 2 ran 5 schedules before item 1 was known to leave it 4.
    expect(resolveParts(plan, new Map([part(0, 3), part(1, 3), part(2, 5)]), true)).toEqual({ state: 'rerun', item: 2, cap: 4, taken: [0, 1] });
    expect(resolveParts(plan, new Map([part(0, 3), part(1, 3), part(2, 4, { exhausted: false })]), true)).toEqual({ state: 'done', taken: [0, 1, 2], complete: false });
    expect(resolveParts(plan, new Map([part(0, 3), part(1, 3), part(2, 4)]), true)).toEqual({ state: 'done', taken: [0, 1, 2], complete: true });
    // The budget spent before the last item: it never runs, and nothing is proved.
    expect(resolveParts(plan, new Map([part(0, 6), part(1, 4)]), true)).toEqual({ state: 'done', taken: [0, 1], complete: false });
    // A finding ends it: what comes after does not count, even a failed part.
    expect(resolveParts(plan, new Map([part(0, 3, { found: true, exhausted: false }), part(1, 3, { error: 'hung-thread' })]), true)).toEqual({ state: 'done', taken: [0], complete: false, stoppedAt: 0 });
  });
});

describe('samplers split by seed ranges', () => {
  for (const strategy of ['random', 'pct', 'pos', 'urw', 'guided', 'fastcheck', 'portfolio'] as const) {
    it(`${strategy}: the same result whatever order the parts finish in; the first range keeps the seed`, async () => {
      const p = counter(false);
      for (const stopOnFirst of [true, false]) {
        const o: ExploreOptions = { strategy, schedules: 500, seed: 7, stopOnFirst, firstOfEachKind: !stopOnFirst };
        const plan = await planSplit(p, o);
        expect(plan.items.length).toBe(5);
        expect(plan.items[0]).toEqual({ kind: 'seeds', seed: 7, schedules: 100 });
        const inOrder = await exploreSplit(p, o);
        const any = await exploreSplit(p, o, { pick: shuffled(strategy) });
        expect(comparable(any)).toBe(comparable(inOrder));
        expect(inOrder.verdict.class).not.toBe('proved');
        expect(inOrder.findings.length).toBeGreaterThan(0);
        // Each finding replays in one process, outside the split.
        for (const f of inOrder.findings) {
          const { run } = await followTraced(p, { params: f.params }, f.schedule, f.prelude ?? [], true);
          expect(run.findings.map((g) => g.kind)).toContain(f.kind);
        }
      }
    });
  }

  it('a budget too small to share is one item, the exploration itself', async () => {
    const plan = await planSplit(counter(false), { strategy: 'random', schedules: 150 });
    expect(plan.items).toEqual([{ kind: 'whole' }]);
  });
});

/** The e2e fixture's program (two threads race to claim a flag; the winner takes its two
 * locks, T0 A then B, T1 B then A), so each lock order shows only in the schedules of one
 * of the two first choices. */
function claimThenLock(): Program {
  return { name: claimThenLockScenario.name, tracked: true, setup: claimThenLockScenario.setup, stateHash: (run) => String(run.step) };
}

describe('cross-schedule state is reconciled across parts', () => {
  for (const strategy of ['dfs', 'dpor'] as const) {
    it(`${strategy}: a lock-order inversion whose two orders fall in different parts is found, and its token replays in one process`, async () => {
      const p = claimThenLock();
      const o: ExploreOptions = { strategy, preemptions: 0, schedules: 1000 };
      const whole = await explore(p, o);
      expect(whole.findings.map((f) => f.kind)).toEqual(['lock-order-inversion']);
      const r = await exploreSplit(p, o, { target: 2 });
      expect(r.plan.items.length).toBe(2);
      expect(r.stats.reconciled).toBe(2);
      expect(r.verdict.class).toBe('found');
      expect(r.findings.map((f) => f.kind)).toEqual(['lock-order-inversion']);
      const f = r.findings[0]!;
      expect(f.prelude?.length).toBe(1);
      const { run } = await followTraced(p, { params: f.params }, f.schedule, f.prelude ?? [], true);
      expect(run.finding?.kind).toBe('lock-order-inversion');
    });
  }

  it('shared state that cannot name its schedules keeps dfs and dpor whole', async () => {
    const opaque: Program = {
      ...counter(true),
      name: 'opaque-shared',
      setup(run, params) {
        run.shared.set('mine', { seen: true });
        counter(true).setup(run, params as never);
      },
    };
    const plan = await planSplit(opaque, { strategy: 'dfs' });
    expect(plan.items).toEqual([{ kind: 'whole' }]);
    expect(plan.whole).toMatch(/'mine'/);
  });
});

describe('what runs whole', () => {
  it('iterative deepening, a pinned regression, stress, or a single branch', async () => {
    expect((await planSplit(counter(true), { strategy: 'dfs', deepen: true, preemptions: 2 })).whole).toMatch(/deepen/);
    expect((await planSplit({ ...counter(true), pinned: { schedule: { switches: [], steps: 0 } } } as Program, {})).whole).toMatch(/pinned/);
    expect((await planSplit(counter(true), { strategy: 'stress' })).items).toEqual([{ kind: 'whole' }]);
    expect((await planSplit(independent(1, 3), { strategy: 'dpor' })).whole).toMatch(/single branch/);
  });

  it('the plan depends on the scenario and its bounds only: the same twice', async () => {
    const p = randomProgram(11);
    for (const strategy of ['dfs', 'dpor', 'pct'] as const) {
      expect(await planSplit(p, { strategy, preemptions: 2 })).toEqual(await planSplit(p, { strategy, preemptions: 2 }));
    }
  });
});
