// The catalogue's own thread code under the stress backend: KVM and kernel code run
// unchanged on real locks; the bugs still show and the fixes stay clean.
import { describe, expect, it } from 'vitest';
import { explore, loadScenario } from '../../src/engine/index.ts';

const stress = async (name: string, seed: number, schedules: number) => {
  const s = (await loadScenario(`scenarios/catalogue/${name}.ts`)).scenario;
  return { s, r: await explore(s, { strategy: 'stress', seed, schedules, shrink: false, maxSteps: s.bounds?.maxSteps }) };
};

describe('the catalogue under stress', () => {
  it('concurrent splitters: the double split shows within 50 runs; the cmpxchg twin is clean over 100', async () => {
    const { s, r } = await stress('concurrent-splitters', 1, 50);
    expect(r.findings[0]?.kind).toBe(s.expect);
    const twin = await stress('concurrent-splitters-fixed', 1, 100);
    expect(twin.r.findings.map((f) => f.message)).toEqual([]);
    expect(twin.r.stats.schedules).toBe(100);
  });

  it('v5 44/45: the uninitialised pamt_cache_lock is reported on the first run; the fixed twin is clean', async () => {
    const { s, r } = await stress('v5-44-missing-mutex-init', 1, 10);
    expect(s.expect).toBe('uninitialized-lock');
    expect(r.findings[0]?.kind).toBe('uninitialized-lock');
    expect(r.stats.firstFindingAt).toBe(1);
    const twin = await stress('v5-44-fixed', 1, 50);
    expect(twin.r.findings.map((f) => f.message)).toEqual([]);
  });

  it('sleeping under mmu_lock is still caught by might_sleep()', async () => {
    const { r } = await stress('topup-under-mmu-lock', 1, 10);
    expect(r.findings[0]?.kind).toBe('sleep-in-atomic');
    expect(r.findings[0]!.report).toContain('BUG: sleeping function called from invalid context');
  });
});
