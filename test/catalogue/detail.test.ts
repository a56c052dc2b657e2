// KASAN's, kmemleak's and the root references' stacks are captured only in detailed
// runs (src/engine/detail.ts, src/kernel/stackdepot.ts). Every program whose finding
// prints such stacks reports, with lazy detail, exactly what it reports with every
// run detailed: kind, step, splat, details, trace, byte for byte; wherever the
// finding leaves the engine (explore, shrunk or not, going on past findings, split
// parts, the sweep's record, a token's replay, a regression's replay). A run that is
// not detailed captures no stack.
import { describe, expect, it } from 'vitest';
import {
  boundsOptions,
  defineRegression,
  explore,
  exploreSplit,
  loadScenario,
  makeToken,
  replayToken,
  Run,
  type ExploreOptions,
  type Finding,
  type LoadedScenario,
  type Scenario,
} from '../../src/engine/index.ts';
import { GFP_KERNEL, Kernel, kmalloc, stackdepot_captures } from '../../src/kernel/index.ts';
import { findingRecords, recordOf } from '../../scripts/lib/record-of.ts';
import { bugs, catalogue } from '../../scripts/bench/catalogue.ts';
import { freeOnError, putPage, rcuReader } from '../fixtures/kernel-memory.ts';
import { collapse, racing_links, root_lookup, split_enomem } from '../fixtures/kvm-lifetimes.ts';

const json = (fs: readonly Finding[]) => fs.map((f) => JSON.stringify(f));

/** The findings of `s` under `opts`, with lazy detail and with every run detailed. */
async function both(s: Scenario, opts: ExploreOptions): Promise<{ lazy: Finding[]; always: Finding[] }> {
  const lazy = await explore(s, opts);
  const always = await explore(s, { ...opts, detail: 'always' });
  expect(lazy.stats).toEqual(always.stats);
  return { lazy: lazy.findings, always: always.findings };
}

/** A stack of the finding beyond its primitive: lines of two names or more under a
 * stack's title (`Freed by task`, `backtrace`, `reference taken by`). */
function deepStack(f: Finding): boolean {
  return /(?:Allocated by task \d+|Freed by task \d+|backtrace \([^)]*\)|reference taken by [^:]+|work creation):\n +\w+\n +\w+/.test(f.report ?? '');
}

const DFS = { strategy: 'dfs', schedules: 50_000, preemptions: 2, maxSteps: 20_000 } as const;

/** Programs whose finding prints KASAN, kmemleak or root-reference stacks, and how
 * each is explored in its own test; false when no stack can name a caller (the
 * allocation is made by an anonymous thread body). */
const stacked: ReadonlyArray<readonly [Scenario, ExploreOptions, boolean?]> = [
  [rcuReader(false), { strategy: 'dfs', schedules: 1e6 }],
  [putPage('double'), { strategy: 'dfs', schedules: 1e6 }],
  [putPage('leak'), { strategy: 'dfs', schedules: 1e6 }],
  [freeOnError(false, { slab: 1 }), { strategy: 'dfs', schedules: 1e6 }, false],
  [collapse('now', 'rcu'), DFS],
  [collapse('call_rcu', 'leaves-rcu-early'), DFS],
  [root_lookup(true), DFS],
  [racing_links(true), DFS],
  [collapse('never'), DFS],
  [split_enomem(true, { slab: 1 }), DFS],
];

describe('lazy detail reports what every run detailed reports', () => {
  for (const [s, opts, deep] of stacked) {
    it(`${s.name}: shrunk and not, going on past findings`, async () => {
      for (const o of [opts, { ...opts, shrink: false }, { strategy: 'random', seed: 1, schedules: 60, maxSteps: opts.maxSteps, stopOnFirst: false, shrink: false } as const]) {
        const { lazy, always } = await both(s, o);
        expect(lazy.length, JSON.stringify(o)).toBeGreaterThan(0);
        expect(lazy[0]!.kind).toBe(s.expect);
        if (deep !== false) expect(lazy.every(deepStack), lazy.map((f) => f.report).join('\n\n')).toBe(true);
        expect(json(lazy)).toEqual(json(always));
      }
    });
  }

  it('the catalogue, its memory leak explored under its bounds: explore, split, the sweep record, the token, the regression', async () => {
    const l = await loadScenario('scenarios/catalogue/v5-44-root-leak.ts');
    const opts = boundsOptions(l.scenario);
    const { lazy, always } = await both(l.scenario, opts);
    expect(lazy.map((f) => f.kind)).toEqual(['memory-leak']);
    const f = lazy[0]!;
    expect(f.report).toMatch(/reference taken by [^:]+:\n +kvm_tdp_mmu_get_root\n +\w+/);
    expect(deepStack(f)).toBe(true);
    expect(json(lazy)).toEqual(json(always));

    // Split into parts (dpor prefixes), as the sweep's --split explores it.
    const split = await exploreSplit(l.scenario, opts, { target: 4 });
    const splitAlways = await exploreSplit(l.scenario, { ...opts, detail: 'always' }, { target: 4 });
    expect(split.plan.items.length).toBeGreaterThan(1);
    expect(split.findings.map((g) => g.kind)).toEqual(['memory-leak']);
    expect(json(split.findings)).toEqual(json(splitAlways.findings));

    // The sweep worker's record.
    const record = await recordOf(l, {});
    expect(record.findings).toEqual(findingRecords(l, always, opts.maxSteps, '.'));

    // The token replays to the same report.
    const back = await replayToken(makeToken(l, f, { maxSteps: opts.maxSteps }));
    expect(back.finding?.report).toBe(f.report);
    expect(back.finding?.details).toEqual(f.details);

    // Pinned as a regression, its replay reports it the same.
    const pinned = defineRegression(l.scenario, { name: 'root-leak-pinned', kind: f.kind, params: f.params, maxSteps: opts.maxSteps, schedule: f.schedule });
    const replayed = await explore(pinned, boundsOptions(pinned));
    expect(replayed.findings.map((g) => g.report)).toEqual([f.report]);
    expect(replayed.findings[0]!.details).toEqual(f.details);
  });

  it('every catalogue bug, sampled going on past findings: the same findings either way', async () => {
    for (const l of bugs(await catalogue())) {
      const b = l.scenario.bounds ?? {};
      const { lazy, always } = await both(l.scenario, { strategy: 'random', seed: 1, schedules: 40, maxSteps: b.maxSteps, stopOnFirst: false, firstOfEachKind: true, shrink: false });
      expect(json(lazy), l.scenario.name).toEqual(json(always));
    }
  });
});

describe('a run that is not detailed captures no stack', () => {
  it('exploring a clean catalogue scenario with allocations, frees and root references captures none; detailed, it does', async () => {
    const l: LoadedScenario = await loadScenario('scenarios/catalogue/v5-44-fixed.ts');
    const opts = { strategy: 'random', seed: 2, schedules: 50, maxSteps: l.scenario.bounds?.maxSteps } as const;
    let before = stackdepot_captures();
    const lazy = await explore(l.scenario, opts);
    expect(lazy.findings).toEqual([]);
    expect(stackdepot_captures() - before).toBe(0);
    before = stackdepot_captures();
    await explore(l.scenario, { ...opts, detail: 'always' });
    expect(stackdepot_captures() - before).toBeGreaterThan(50);
  });

  it("a track made in a run that is not detailed is its primitive alone, and reading it marks the run", async () => {
    const stackOf = async (detailed: boolean) => {
      const run = new Run(() => 0, { maxSteps: 100, shared: new Map(), detailed });
      const k = new Kernel(run);
      let made: ReturnType<typeof kmalloc> = null;
      k.kthread('t', function alloc_in_thread() {
        made = kmalloc(k, 64, GFP_KERNEL);
      });
      await run.start();
      expect(run.undetailed).toBe(false);
      const stack = made!.alloc_track.stack;
      return { stack, undetailed: run.undetailed };
    };
    expect(await stackOf(false)).toEqual({ stack: ['kmalloc'], undetailed: true });
    expect(await stackOf(true)).toEqual({ stack: ['kmalloc', 'alloc_in_thread'], undetailed: false });
  });
});
