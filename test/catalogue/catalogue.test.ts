// The catalogue of review bugs: each bug scenario finds its bug, deterministically and
// shrunk, and its fixed twin (same set-up, the fix applied) is clean in every
// interleaving with up to two preemptions.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explore, loadScenario, type ExploreResult, type LoadedScenario } from '../../src/engine/index.ts';
import { variant_by_name } from '../../src/variants/index.ts';

const DIR = 'scenarios/catalogue';

/** Each row: what review named, the bug scenario, and its fixed twin. */
const rows = [
  ['missing mutex_init', 'v5-44-missing-mutex-init', 'v5-44-fixed'],
  ['sleeping (top-up) under mmu_lock', 'topup-under-mmu-lock', 'topup-under-mmu-lock-fixed'],
  ['sleeping (top-up) under the split-cache spinlock', 'topup-under-split-cache-lock', 'topup-under-split-cache-lock-fixed'],
  ['cache exhausted under mmu_lock (top-up too small)', 'topup-short', 'topup-short-fixed'],
  ['split on the wrong root for a mismatched accept', 'mismatched-accept-normal-root', 'mismatched-accept-mirror-root'],
  ['zap before split clobbers private GFNs outside the range', 'zap-without-split', 'zap-without-split-fixed'],
  ['missing TLB flush after zap', 'no-flush-after-zap', 'no-flush-after-zap-fixed'],
  ['unaligned punch hole on hugetlb backing', 'punch-hole-unaligned', 'punch-hole-unaligned-fixed'],
  ['concurrent splitters of one range under shared mmu_lock', 'concurrent-splitters', 'concurrent-splitters-fixed'],
  // Issue 12's review bugs (docs/scenarios.md, "Review bugs as variants").
  ['per-VM PAMT cache locked for PUNCH_HOLE only, a conversion splits without it', 'pamt-cache-punch-hole-only', 'pamt-cache-punch-hole-only-fixed'],
  ['an invalidation that may not fail zaps the crossing leaf when the split runs out of memory', 'zap-cannot-fail', 'zap-cannot-fail-fixed'],
  ['a failed boundary split returns from inside the mirror-root loop, keeping the root reference', 'v5-44-root-leak', 'v5-44-root-leak-fixed'],
  ['page stats updated before set_external_spte(), which then finds the TDX module busy', 'v5-08-stats-first', 'v5-08-stats-first-fixed'],
  ['DPAMT put decrements 1->0 outside pamt_lock, a get without the HPA_RANGE_NOT_FREE case re-adds the PAMT', 'dpamt-put-outside-lock', 'dpamt-put-outside-lock-fixed'],
  ['DPAMT put as posted in v4 08/16: a put stalled before pamt_lock while another get and put run, REMOVE fails, refcount reverted to 1', 'dpamt-v4-08', 'dpamt-v4-08-fixed'],
] as const;

const load = (name: string) => loadScenario(`${DIR}/${name}.ts`);

/** Explores `l` under its own bounds. */
function explore_bounded(l: LoadedScenario): Promise<ExploreResult> {
  const b = l.scenario.bounds ?? {};
  return explore(l.scenario, { strategy: b.strategy as never, schedules: b.schedules, seed: b.seed, maxSteps: b.maxSteps, preemptions: b.preemptions });
}

describe('the catalogue of review bugs', () => {
  for (const [bug, bug_file, twin_file] of rows) {
    it(`${bug}: ${bug_file} finds it, shrunk and replayable; ${twin_file} is clean`, async () => {
      const l = await load(bug_file);
      expect(l.scenario.expect).not.toBe('clean');
      const r = await explore_bounded(l);
      const f = r.findings[0];
      expect(f?.kind, f?.message).toBe(l.scenario.expect);
      expect(f!.minimalSteps).toBeLessThanOrEqual(f!.originalSteps!);
      expect(f!.schedule.steps).toBe(f!.minimalSteps);
      // Deterministic under its bounds: the same counterexample again.
      const again = (await explore_bounded(l)).findings[0]!;
      expect([again.kind, again.message, again.schedule]).toEqual([f!.kind, f!.message, f!.schedule]);

      const twin = await load(twin_file);
      expect(twin.scenario.expect).toBe('clean');
      expect(twin.scenario.bounds?.strategy).toBe('dpor');
      expect(twin.scenario.bounds?.preemptions).toBeGreaterThanOrEqual(2);
      const t = await explore_bounded(twin);
      expect(t.findings.map((x) => `${x.kind}: ${x.message}`)).toEqual([]);
      // Proved within the bound, or for every schedule when the bound never cut a choice.
      expect(t.verdict.class).toBe('proved');
      expect([twin.scenario.bounds!.preemptions, null]).toContain(t.verdict.bound);
      expect(t.stats.schedules).toBeGreaterThan(0);
    });
  }

  it('a twin is the same set-up as its bug: same params, fix applied (variant or knobs differ)', async () => {
    for (const [, bug_file, twin_file] of rows) {
      const [b, t] = [(await load(bug_file)).scenario, (await load(twin_file)).scenario];
      expect(t.params, twin_file).toEqual(b.params);
      expect(t.description, twin_file).not.toBe(b.description);
    }
  });

  it('families stay clean with their fix for drawn parameters too (fastcheck)', async () => {
    for (const [, bug_file, twin_file] of rows) {
      const twin = (await load(twin_file)).scenario;
      if ((await load(bug_file)).scenario.paramsArbitrary === undefined) continue;
      expect(twin.paramsArbitrary, twin_file).toBeDefined();
      const r = await explore(twin, { strategy: 'fastcheck', schedules: 100, seed: 7, maxSteps: 20_000 });
      expect(r.findings.map((x) => `${x.kind}: ${x.message} ${JSON.stringify(x.params)}`), twin_file).toEqual([]);
    }
  });

  it('every catalogue scenario names a registered variant and is in a row, or is a cost scenario', async () => {
    const named = new Set<string>(rows.flatMap(([, b, t]) => [b, t]));
    // Files starting with '_' are set-up helpers, not scenarios (as for the sweep).
    for (const file of readdirSync(DIR).filter((f) => f.endsWith('.ts') && !f.startsWith('_'))) {
      const s = (await loadScenario(`${DIR}/${file}`)).scenario;
      expect(() => variant_by_name(s.variant ?? ''), file).not.toThrow();
      expect(named.has(s.name) || s.name.startsWith('cost-'), file).toBe(true);
    }
  });
});
