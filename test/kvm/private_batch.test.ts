import { describe, expect, it } from 'vitest';
import { type kvm, PG_LEVEL_2M, PG_LEVEL_4K, private_memory_lost, tdx_premap_private } from './kvm_test_api.ts';
import { P2M, run_once } from './helpers.ts';

/** A VM whose [0x200, 0x400) is mapped by accepted 4K leaves on contiguous PFNs,
 * all holding the one version the guest expects (as after a split of a 2M page),
 * and [0x400, 0x600) by one 2M leaf. */
async function vm_4k(): Promise<kvm> {
  const { kvm } = await run_once({
    invariants: false,
    setup(vm) {
      for (let g = 0x200; g < 0x200 + P2M; g++) tdx_premap_private(vm, g, PG_LEVEL_4K);
      tdx_premap_private(vm, 0x400, PG_LEVEL_2M);
    },
  });
  const pfn = kvm.tdx.td.lookup(0x200)!.pfn;
  kvm.tdx.td.content.set(pfn, pfn + P2M, 'v');
  kvm.guest.accepted.set(0x200, 0x200 + P2M, 'v');
  return kvm;
}

const RANGES: Array<[number, number]> = [
  [0x200, 0x400],
  [0x200, 0x600],
  [0x210, 0x2f0],
  [0x3ff, 0x401],
];

/** The batched check against the plain one, GFN by GFN, over every range. */
function same(vm: kvm): void {
  for (const [lo, hi] of RANGES) expect(private_memory_lost(vm, lo, hi, true)).toEqual(private_memory_lost(vm, lo, hi, false));
}

describe('private_memory_lost() batching runs of 4K leaves', () => {
  it('finds nothing lost on an intact VM, both ways', async () => {
    const vm = await vm_4k();
    same(vm);
    expect(private_memory_lost(vm, 0x200, 0x600, true)).toBeNull();
  });

  it('finds the same first bad GFN and reason as the plain check', async () => {
    const vm = await vm_4k();
    const td = vm.tdx.td;
    const pfn = (g: number) => td.lookup(g)!.pfn;
    // Content lost at 0x2a9; a PENDING leaf before it at 0x2a5: the PENDING one comes first.
    td.content.set(pfn(0x2a9), pfn(0x2a9) + 1, 'x');
    same(vm);
    expect(private_memory_lost(vm, 0x200, 0x400, true)!.gfn).toBe(0x2a9);
    td.leaf_at(0x2a5, PG_LEVEL_4K)!.accepted = false;
    same(vm);
    expect(private_memory_lost(vm, 0x200, 0x400, true)).toMatchObject({ gfn: 0x2a5, why: expect.stringContaining('PENDING') });
    td.leaf_at(0x2a5, PG_LEVEL_4K)!.accepted = true;
    // A leaf gone at 0x2c0, after the bad content; then the bad content fixed.
    td.delete_leaf(td.leaf_at(0x2c0, PG_LEVEL_4K)!);
    same(vm);
    td.content.set(pfn(0x2a9), pfn(0x2a9) + 1, vm.guest.accepted.peek(0x2a9));
    same(vm);
    expect(private_memory_lost(vm, 0x200, 0x400, true)).toMatchObject({ gfn: 0x2c0, why: 'has no S-EPT mapping' });
  });

  it('stops a run where the PFNs stop being contiguous', async () => {
    const vm = await vm_4k();
    const td = vm.tdx.td;
    // 0x300 maps another page, holding what the guest expects there: only its PFN differs.
    const e = td.leaf_at(0x300, PG_LEVEL_4K)!;
    const other = td.lookup(0x400)!.pfn + 7;
    td.content.set(other, other + 1, td.content.peek(e.pfn));
    td.delete_leaf(e);
    td.set_leaf(Object.assign(Object.create(Object.getPrototypeOf(e)), { ...e, pfn: other }));
    // Its former page, next in the run of PFNs, holds something else: not read now.
    td.content.set(e.pfn, e.pfn + 1, 'z');
    same(vm);
    expect(private_memory_lost(vm, 0x200, 0x400, true)).toBeNull();
    // What 0x301 onwards expect no longer matches once 0x301's page is overwritten.
    td.content.set(e.pfn + 1, e.pfn + 2, 'y');
    same(vm);
    expect(private_memory_lost(vm, 0x200, 0x400, true)!.gfn).toBe(0x301);
  });
});
