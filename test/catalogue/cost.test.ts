// The cost of the boundary split on a 16 TiB guest_memfd: head/tail walks the same
// SPTEs whatever the range; v3's only_cross_boundary walk visits more the wider it is.
import { describe, expect, it } from 'vitest';
import { explore, Run, type Scenario } from '../../src/engine/index.ts';
import { cost_12tib_params, type cost_figures, type cost_params } from '../../scenarios/catalogue/_cost.ts';
import head_tail from '../../scenarios/catalogue/cost-12tib-head-tail.ts';
import walk from '../../scenarios/catalogue/cost-12tib-walk.ts';

const GiB = 2 ** 30 / 4096;
const TiB = 1024 * GiB;

/** One schedule of `s` converting `len` pages from the scenario's start. */
async function figures_of(s: Scenario<cost_params>, len: number): Promise<cost_figures> {
  const run = new Run(() => 0, { maxSteps: s.bounds?.maxSteps ?? 200_000, shared: new Map() });
  s.setup(run, { ...cost_12tib_params, len });
  await run.start();
  expect(run.finding).toBeNull();
  const m = run.metrics();
  return { spteVisits: m.get('spteVisits')!, splitSpteVisits: m.get('splitSpteVisits')! };
}

describe('the cost of splitting the boundary of a large conversion', () => {
  it('the scenarios convert 12 TiB of a 16 TiB guest_memfd and expose their SPTE visits', async () => {
    for (const s of [head_tail, walk]) {
      expect(s.params).toEqual(cost_12tib_params);
      expect(cost_12tib_params.len).toBe(12 * TiB);
      const f = await figures_of(s, cost_12tib_params.len);
      expect(f.splitSpteVisits).toBeGreaterThan(0);
      expect(f.spteVisits).toBeGreaterThan(f.splitSpteVisits);
      // The figures reach the exploration's stats, and so the sweep report.
      const r = await explore(s, { schedules: 1, maxSteps: s.bounds?.maxSteps });
      expect(r.stats.spteVisits).toBe(f.spteVisits);
      expect(r.stats.splitSpteVisits).toBe(f.splitSpteVisits);
    }
  });

  it('head/tail visits the same SPTEs for a 1 GiB and a 12 TiB range', async () => {
    const small = await figures_of(head_tail, GiB);
    const large = await figures_of(head_tail, 12 * TiB);
    expect(large.splitSpteVisits).toBe(small.splitSpteVisits);
  });

  it("v3's walk visits strictly more SPTEs for each larger range, and more than head/tail", async () => {
    const lens = [GiB, 16 * GiB, TiB, 12 * TiB];
    const visits: number[] = [];
    for (const len of lens) visits.push((await figures_of(walk, len)).splitSpteVisits);
    for (let i = 1; i < visits.length; i++) expect(visits[i]!).toBeGreaterThan(visits[i - 1]!);
    expect(visits[0]!).toBeGreaterThan((await figures_of(head_tail, GiB)).splitSpteVisits);
  });
});
