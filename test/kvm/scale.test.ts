// The 16 TiB scenario: sparse state, and walk costs counted as the kernel's tdp_iter
// would count them, computed here from the shape of the tree.
import { describe, expect, it } from 'vitest';
import { explore, Run } from '../../src/engine/index.ts';
import scenario, { scale_16tib, scale_16tib_params, scale_mapped_gfns } from '../../scenarios/scale-16tib.ts';
import { KVM_PAGES_PER_HPAGE, PG_LEVEL_1G } from './kvm_test_api.ts';

/** Entries the PUNCH_HOLE's zap examines: on each of the two roots the root entries
 * in the hole; on the mirror root, all 512 entries of each 1G table and of each 2M
 * table under a mapping inside the hole (the hole is 512G-aligned, so tables are
 * wholly in or out). */
function expected_visits(): number {
  const p = scale_16tib_params;
  const start = p.hole_start;
  const end = p.hole_start + p.hole_len;
  const per_root_entry = KVM_PAGES_PER_HPAGE(4);
  const inside = scale_mapped_gfns(p).filter((g) => g >= start && g < end);
  const l3_tables = new Set(inside.map((g) => Math.floor(g / per_root_entry))).size;
  const l2_tables = new Set(inside.map((g) => Math.floor(g / KVM_PAGES_PER_HPAGE(PG_LEVEL_1G)))).size;
  return 2 * ((end - start) / per_root_entry) + 512 * (l3_tables + l2_tables);
}

describe('scale: 16 TiB guest_memfd, 1000 scattered 2M mappings, 12 TiB PUNCH_HOLE', () => {
  it('counts the kernel walk exactly and stays small (its time is a benchmark, not a test)', async () => {
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const run = new Run(() => 0, { maxSteps: 200_000, shared: new Map() });
    const kvm = scale_16tib(run, scale_16tib_params);
    await run.start();
    const ms = performance.now() - t0;
    const heap = process.memoryUsage().heapUsed - heap0;
    expect(run.finding).toBeNull();
    const inside = scale_mapped_gfns(scale_16tib_params).filter((g) => g >= scale_16tib_params.hole_start && g < scale_16tib_params.hole_start + scale_16tib_params.hole_len);
    expect(kvm.stat.zaps).toBe(inside.length);
    expect(kvm.stat.spte_visits).toBe(expected_visits());
    expect(run.shared.get('kvm.stat.spte_visits')).toBe(expected_visits());
    expect(kvm.tdx.td.nr_leaves).toBe(scale_16tib_params.mappings - inside.length);
    // A step count, not a time: the walk costs what is mapped, not the 12 TiB hole.
    expect(run.step).toBeLessThan(5_000);
    expect(heap).toBeLessThan(64 * 2 ** 20);
    console.log(`scale-16tib: ${kvm.stat.spte_visits} SPTE visits, ${inside.length} leaves zapped, ${run.step} steps, ${ms.toFixed(0)} ms, heap +${(heap / 2 ** 20).toFixed(1)} MiB`);
  });

  it('the scenario file runs clean under its own bounds', async () => {
    const r = await explore(scenario, { ...scenario.bounds, strategy: 'random', shrink: false });
    expect(r.findings.map((f) => f.kind)).toEqual([]);
    expect(scenario.expect).toBe('clean');
  });
});
