// Differential property: for every mapping layout and range, the head/tail arithmetic
// splits exactly the leaves v3's only_cross_boundary walk splits, and both leave the
// same S-EPT and mirror root. A head/tail that gets the arithmetic wrong is caught.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Run } from '../../src/engine/index.ts';
import { mutex_lock, mutex_unlock, write_lock, write_unlock } from '../../src/kernel/index.ts';
import {
  fmt_range,
  kvm_create_vm,
  kvm_install_invariants,
  kvm_mirror_root,
  KVM_PAGES_PER_HPAGE,
  level_name,
  PG_LEVEL_1G,
  PG_LEVEL_2M,
  PG_LEVEL_4K,
  tdp_mmu_leaves,
  tdx_boundary_split_ranges,
  tdx_premap_private,
  type kvm,
  type kvm_functions,
} from '../../src/kvm/index.ts';
import { __kvm_gmem_split_private, head_tail, split_boundary_of } from '../../src/variants/index.ts';

type split_boundary = kvm_functions['kvm_split_boundary_leafs'];

const P2M = KVM_PAGES_PER_HPAGE(PG_LEVEL_2M);
const P1G = KVM_PAGES_PER_HPAGE(PG_LEVEL_1G);
/** The layouts live in two 1G blocks, [P1G, 3 * P1G) of a 4 GiB guest_memfd. */
const BLOCKS = [P1G, 2 * P1G];

/** What maps a 2M block: nothing, a 2M leaf, or some 4K leaves (offsets). */
type block_2m = { readonly kind: 'none' } | { readonly kind: '2M' } | { readonly kind: '4K'; readonly pages: readonly number[] };
/** What maps a 1G block: nothing, a 1G leaf, or 2M blocks by index. */
type block_1g = { readonly kind: 'none' } | { readonly kind: '1G' } | { readonly kind: 'table'; readonly blocks: ReadonlyArray<readonly [number, block_2m]> };
type layout = readonly block_1g[];

// Boundaries are where head and tail live: draw indices and offsets next to them.
const EDGE_2M = [0, 1, 510, 511];
const EDGE_4K = [0, 1, 0x1fe, 0x1ff];

const block_2m_arb: fc.Arbitrary<block_2m> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.constant({ kind: '2M' as const }),
  fc.uniqueArray(fc.constantFrom(...EDGE_4K), { minLength: 1 }).map((pages) => ({ kind: '4K' as const, pages })),
);
const block_1g_arb: fc.Arbitrary<block_1g> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.constant({ kind: '1G' as const }),
  fc.uniqueArray(fc.tuple(fc.constantFrom(...EDGE_2M), block_2m_arb), { selector: ([i]) => i, minLength: 1 }).map((blocks) => ({ kind: 'table' as const, blocks })),
);
const layout_arb: fc.Arbitrary<layout> = fc.tuple(block_1g_arb, block_1g_arb);

/** A GFN of the window near a boundary: 1G block, 2M index, 4K offset, each at an edge
 * or anywhere; the alignment of the result is whatever that gives (1G, 2M or 4K). */
const gfn_arb = fc
  .record({ g: fc.constantFrom(...BLOCKS, 3 * P1G), m: fc.oneof(fc.constantFrom(...EDGE_2M), fc.nat({ max: 511 })), k: fc.oneof(fc.constantFrom(...EDGE_4K), fc.nat({ max: 511 })) })
  .map(({ g, m, k }) => Math.min(g + m * P2M + k, 3 * P1G));
/** [start, end): unaligned, 2M- or 1G-aligned ends; head and tail in one block too. */
const range_arb = fc.oneof(
  fc.tuple(gfn_arb, gfn_arb).filter(([a, b]) => a !== b).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
  fc.tuple(gfn_arb.filter((g) => g < 3 * P1G), fc.integer({ min: 1, max: 3 })).map(([a, n]) => [a, a + n] as const),
);

function premap(vm: kvm, l: layout): void {
  l.forEach((b, i) => {
    const base = BLOCKS[i]!;
    if (b.kind === '1G') tdx_premap_private(vm, base, PG_LEVEL_1G);
    if (b.kind !== 'table') return;
    for (const [j, m] of b.blocks) {
      const at = base + j * P2M;
      if (m.kind === '2M') tdx_premap_private(vm, at, PG_LEVEL_2M);
      if (m.kind === '4K') for (const k of m.pages) tdx_premap_private(vm, at + k, PG_LEVEL_4K);
    }
  });
}

interface outcome {
  /** Leaves split, `level:gfn`, sorted (head/tail goes level by level, the walk by address). */
  readonly splits: string[];
  readonly sept: string[];
  readonly mirror: string[];
  readonly spte_visits: number;
}

/** Splits the leaves crossing [start, end) with `split`, as kvm_gmem_set_attributes()
 * does before its zap (the zap left out: it is the same code for both). */
async function split_with(split: split_boundary, l: layout, start: number, end: number): Promise<outcome> {
  const run = new Run(() => 0, { maxSteps: 100_000, shared: new Map() });
  const vm = kvm_create_vm(run, { gmem_pages: 4 * P1G, huge_order: 18, overrides: { kvm_split_boundary_leafs: split } });
  premap(vm, l);
  kvm_install_invariants(vm);
  const splits: string[] = [];
  vm.model.tp_spte_changed.register((ev) => {
    if (ev.sptep.sp.role.is_mirror && ev.old_spte.tag === 'leaf' && ev.new_spte.tag === 'nonleaf') splits.push(`${level_name(ev.level)}:${ev.gfn}`);
  });
  let ret: number | null = null;
  vm.k.kthread('split', async () => {
    const h = vm.call;
    await mutex_lock(vm.slots_lock);
    ret = await h.tdx_split_cache_prepare(vm, h.tdx_split_cache_topup(vm, start, end));
    await write_lock(vm.mmu_lock);
    if (ret === 0) ret = await h.kvm_split_boundary_leafs(vm, kvm_mirror_root(vm), start, end);
    await write_unlock(vm.mmu_lock);
    await h.tdx_split_cache_release(vm);
    await mutex_unlock(vm.slots_lock);
  });
  await run.start();
  if (run.finding !== null) throw new Error(`${run.finding.kind}: ${run.finding.message}`);
  if (ret !== 0) throw new Error(`split returned ${ret}`);
  const sept = [...vm.tdx.td.leaves_in(P1G, 3 * P1G)].map((e) => `${level_name(e.level)}:${e.gfn}:${e.pfn}:${e.state}`);
  const mirror = [...tdp_mmu_leaves(kvm_mirror_root(vm), P1G, 3 * P1G)].map((m) => `${level_name(m.level)}:${m.gfn}:${m.spte?.pfn}`);
  return { splits: splits.sort(), sept, mirror, spte_visits: vm.stat.spte_visits };
}

/** v3's walk, as its callers in guest_memfd run it. */
const walk: split_boundary = __kvm_gmem_split_private;

/** The property, for a given head/tail split. */
function same_as_walk(head_tail_split: split_boundary) {
  return fc.asyncProperty(layout_arb, range_arb, async (l, [start, end]) => {
    const a = await split_with(head_tail_split, l, start, end);
    const b = await split_with(walk, l, start, end);
    const where = fmt_range(start, end);
    if (a.splits.join() !== b.splits.join()) throw new Error(`${where}: head/tail split [${a.splits}], the walk [${b.splits}]`);
    if (a.sept.join() !== b.sept.join()) throw new Error(`${where}: the S-EPTs differ`);
    if (a.mirror.join() !== b.mirror.join()) throw new Error(`${where}: the mirror roots differ`);
  });
}

const RUNS = { seed: 42, numRuns: 300 };

describe('head-tail vs the only_cross_boundary walk', () => {
  it('split the same leaves and leave the same S-EPT and mirror root, for every layout and range', async () => {
    await fc.assert(same_as_walk(head_tail.fn.kvm_split_boundary_leafs), RUNS);
  });

  it('the layouts split something, and the walk costs more on wide ranges (the property is not vacuous)', async () => {
    const l: layout = [{ kind: '1G' }, { kind: 'table', blocks: [[511, { kind: '2M' }]] }];
    const [start, end] = [P1G + 0x10, 2 * P1G + 511 * P2M + 0x10];
    const a = await split_with(head_tail.fn.kvm_split_boundary_leafs, l, start, end);
    const b = await split_with(walk, l, start, end);
    // The 1G leaf to 2M, then its first 2M leaf to 4K; the tail's 2M leaf to 4K.
    expect(a.splits).toEqual([`1G:${P1G}`, `2M:${P1G}`, `2M:${2 * P1G + 511 * P2M}`].sort());
    expect(b.splits).toEqual(a.splits);
    expect(b.spte_visits).toBeGreaterThan(a.spte_visits);
  });

  it('catches a head/tail that ignores the 1G level', async () => {
    const no_1g = split_boundary_of((s, e) => tdx_boundary_split_ranges(s, e).filter((r) => r.target_level !== PG_LEVEL_2M));
    const out = await fc.check(same_as_walk(no_1g), RUNS);
    expect(out.failed).toBe(true);
    expect(String(out.errorInstance)).toMatch(/head\/tail split/);
  });

  it('catches a head/tail that dedupes blocks by their start, ignoring the level', async () => {
    const by_start = split_boundary_of((s, e) => tdx_boundary_split_ranges(s, e).filter((r, i, all) => all.findIndex((q) => q.start === r.start) === i));
    const out = await fc.check(same_as_walk(by_start), RUNS);
    expect(out.failed).toBe(true);
    expect(String(out.errorInstance)).toMatch(/head\/tail split/);
  });
});
