// Detail on demand (src/engine/detail.ts): runs that explore are not detailed; a
// finding whose report read what its run left out comes back with the report of a
// detailed run of its schedule, the same as with every run detailed, and that run is
// made only for such findings (once, for the shrunk schedule, when shrinking). A
// model that does not run the same way twice keeps its finding, marked.
import { describe, expect, it } from 'vitest';
import { explore, exploreSplit, type ExploreOptions, type Finding, type Program, type Run } from '../../src/engine/index.ts';

interface Counts {
  runs: number;
  detailed: number;
}

/**
 * A writer frees an object in its second step; a reader uses it in its second step:
 * `uaf` when the free came first. The report names where the object was freed, as
 * KASAN would: `free_path` in a detailed run, else only `kfree`, and reading that
 * marks the run undetailed. `reads: false`: the report says nothing that depends on
 * detail. `flaky`: the free happens only in the program's first run (a model that
 * leaks state from one run into the next).
 */
function uaf(counts: Counts, o: { reads?: boolean; flaky?: boolean; readers?: number } = {}): Program {
  let setups = 0;
  return {
    name: 'uaf',
    setup(run: Run) {
      counts.runs++;
      if (run.detailed) counts.detailed++;
      const frees = o.flaky !== true || ++setups === 1;
      let freed = false;
      let freeStack: string[] | null = null;
      run.spawn('writer', async () => {
        await run.point({ kind: 'alloc', obj: 'obj' });
        await run.point({ kind: 'free', obj: 'obj' });
        if (frees) {
          freed = true;
          freeStack = run.detailed ? ['kfree', 'free_path', 'writer_main'] : ['kfree'];
        }
      });
      for (let i = 0; i < (o.readers ?? 1); i++) {
        const name = `reader${i}`;
        run.spawn(name, async () => {
          await run.point({ kind: 'lookup', obj: 'obj' });
          await run.point({ kind: 'use', obj: 'obj' });
          if (!freed) return;
          let stack: string[] | null = null;
          if (o.reads !== false) {
            if (!run.detailed) run.undetailed = true;
            stack = freeStack;
          }
          const text = stack?.join(' <- ') ?? '(not shown)';
          run.report({ kind: i === 0 ? 'uaf' : `uaf-${name}`, message: `use after free by ${name}, freed in ${text}`, report: `BUG: use-after-free\nFreed by:\n ${text}`, details: { freed: stack, by: name } });
        });
      }
    },
  };
}

const DFS: ExploreOptions = { strategy: 'dfs', schedules: 10_000 };
const json = (fs: readonly Finding[]) => fs.map((f) => JSON.stringify(f));

/** The findings under `opts`, lazily and with every run detailed, and the counts of each. */
async function both(o: Parameters<typeof uaf>[1], opts: ExploreOptions) {
  const lazyCounts = { runs: 0, detailed: 0 };
  const alwaysCounts = { runs: 0, detailed: 0 };
  const lazy = await explore(uaf(lazyCounts, o), opts);
  const always = await explore(uaf(alwaysCounts, o), { ...opts, detail: 'always' });
  return { lazy, always, lazyCounts, alwaysCounts };
}

describe('detail on demand', () => {
  it('an unshrunk finding gets the report of one detailed run of its schedule, equal to the one with every run detailed', async () => {
    const { lazy, always, lazyCounts, alwaysCounts } = await both({}, { ...DFS, shrink: false });
    expect(lazy.findings).toHaveLength(1);
    expect(lazy.findings[0]!.message).toBe('use after free by reader0, freed in kfree <- free_path <- writer_main');
    expect(lazy.findings[0]!.undetailed).toBeUndefined();
    expect(json(lazy.findings)).toEqual(json(always.findings));
    expect(lazy.stats).toEqual(always.stats);
    // Exploring ran no detailed schedule; the finding's one re-run is the only one.
    expect(lazyCounts.detailed).toBe(1);
    expect(lazyCounts.runs).toBe(alwaysCounts.runs + 1);
    expect(alwaysCounts.detailed).toBe(alwaysCounts.runs);
  });

  it('a shrunk finding comes from the traced replay of the shrunk schedule, detailed; no shrink candidate is', async () => {
    const { lazy, always, lazyCounts } = await both({}, { strategy: 'random', seed: 3, schedules: 100 });
    expect(lazy.findings[0]!.message).toContain('free_path');
    expect(json(lazy.findings)).toEqual(json(always.findings));
    expect(lazy.stats.shrinkRuns).toBeGreaterThan(0);
    expect(lazyCounts.detailed).toBe(1);
  });

  it('a finding whose report read nothing left out runs nothing again', async () => {
    const { lazy, always, lazyCounts } = await both({ reads: false }, { ...DFS, shrink: false });
    expect(lazy.findings[0]!.message).toBe('use after free by reader0, freed in (not shown)');
    expect(json(lazy.findings)).toEqual(json(always.findings));
    expect(lazyCounts.detailed).toBe(0);
  });

  it('going on past findings (stopOnFirst: false), every finding collected is detailed, as with every run detailed', async () => {
    const { lazy, always, lazyCounts } = await both({ readers: 2 }, { ...DFS, stopOnFirst: false, shrink: false });
    expect(lazy.findings.length).toBeGreaterThan(10);
    expect(new Set(lazy.findings.map((f) => f.kind))).toEqual(new Set(['uaf', 'uaf-reader1']));
    expect(lazy.findings.every((f) => f.message.includes('free_path'))).toBe(true);
    expect(json(lazy.findings)).toEqual(json(always.findings));
    // One detailed run for each finding (two of one run are run again apart).
    expect(lazyCounts.detailed).toBe(lazy.findings.length);
  });

  it('and with firstOfEachKind, shrunk, stopping each replay at its own kind', async () => {
    const { lazy, always } = await both({ readers: 2 }, { ...DFS, stopOnFirst: false, firstOfEachKind: true });
    expect(lazy.findings.map((f) => f.kind)).toEqual(['uaf', 'uaf-reader1']);
    expect(json(lazy.findings)).toEqual(json(always.findings));
  });

  it('split explorations (seed ranges and prefixes) detail their parts\' findings', async () => {
    for (const opts of [
      { strategy: 'random', seed: 1, schedules: 400, stopOnFirst: false, shrink: false },
      { strategy: 'dfs', schedules: 10_000, stopOnFirst: false, firstOfEachKind: true },
    ] as const) {
      const lazy = await exploreSplit(uaf({ runs: 0, detailed: 0 }, { readers: 2 }), opts, { target: 4 });
      const always = await exploreSplit(uaf({ runs: 0, detailed: 0 }, { readers: 2 }), { ...opts, detail: 'always' }, { target: 4 });
      expect(lazy.plan.items.length, opts.strategy).toBeGreaterThan(1);
      expect(lazy.findings.length).toBeGreaterThan(0);
      expect(lazy.findings.every((f) => f.message.includes('free_path'))).toBe(true);
      expect(json(lazy.findings)).toEqual(json(always.findings));
    }
  });

  it('stress runs are detailed: their findings have no schedule to run again', async () => {
    const counts = { runs: 0, detailed: 0 };
    const r = await explore(uaf(counts), { strategy: 'stress', seed: 1, schedules: 200, shrink: false });
    expect(r.findings[0]?.message).toContain('free_path');
    expect(counts.detailed).toBe(counts.runs);
  });

  it('a model that does not run the same way twice keeps its finding as found, marked', async () => {
    const counts = { runs: 0, detailed: 0 };
    const r = await explore(uaf(counts, { flaky: true }), { ...DFS, shrink: false });
    const f = r.findings[0]!;
    expect(f.kind).toBe('uaf');
    expect(f.message).toBe('use after free by reader0, freed in kfree');
    expect(f.undetailed).toBeUndefined();
    expect(f.details?.detailError).toMatch(/^a detailed run of the finding's schedule raised nothing, not uaf: the model does not run the same way twice$/);
    expect(f.report).toMatch(/\nseptcheck: this report lacks detail \(stacks\): a detailed run .* raised nothing, not uaf/);
    expect(counts.detailed).toBe(1);
  });
});
