// The mirror root is split only under write mmu_lock, as the posted series has it:
// v3 10/24 ("KVM: x86: Reject splitting huge pages under shared mmu_lock in TDX")
// refuses a split under shared mmu_lock with a WARN and -EOPNOTSUPP (a BUSY from DEMOTE
// there would need an UNBLOCK that may be BUSY too); RFC v5's
// tdx_sept_split_private_spte() asserts the write lock. A variant that splits under
// the read lock anyway runs into tdx_track()'s lockdep_assert_held_write().
import { describe, expect, it } from 'vitest';
import { read_lock, read_unlock } from '../../src/kernel/index.ts';
import { kvm_mirror_root, mirror_sept_disagreement, PG_LEVEL_2M, PG_LEVEL_4K, tdp_mmu_leaves, tdp_mmu_split_huge_pages_root, tdx_premap_private, upstream, type kvm } from './kvm_test_api.ts';
import { run_once } from './helpers.ts';

function shared_splitter(vm: kvm, rets: number[]): void {
  vm.k.kthread('split', async () => {
    await read_lock(vm.mmu_lock);
    rets.push(await tdp_mmu_split_huge_pages_root(vm, kvm_mirror_root(vm), 0x200, 0x400, PG_LEVEL_4K, true, false));
    await read_unlock(vm.mmu_lock);
  });
}

describe('splitting the mirror root under shared mmu_lock', () => {
  it('is refused: WARN, -EOPNOTSUPP, the huge leaf and its S-EPT leaf left as they were', async () => {
    const rets: number[] = [];
    const { run, kvm } = await run_once({
      invariants: { disable: [] },
      setup(vm) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
        shared_splitter(vm, rets);
      },
    });
    expect(run.finding?.kind).toBe('warn-on');
    expect(run.finding?.message).toContain('Splitting of GFN 0x200 level 2M under shared lock occurs when KVM does not support it yet');
    expect([...tdp_mmu_leaves(kvm_mirror_root(kvm), 0x200, 0x400)].map((l) => l.level)).toEqual([PG_LEVEL_2M]);
    expect(kvm.tdx.td.lookup(0x200)!.level).toBe(PG_LEVEL_2M);
    expect(mirror_sept_disagreement(kvm, 0x200, 0x400)).toBeNull();
  });

  it('a variant that splits anyway takes TDH.MEM.TRACK without the write lock', async () => {
    const rets: number[] = [];
    const { run } = await run_once({
      vm: {
        overrides: {
          // tdx_sept_split_private_spte() without v3 10/24's check.
          tdx_sept_split_private_spte: (vm, gfn, level, pfn, sp) => upstream.tdx_sept_split_private_spte(vm, gfn, level, pfn, sp, false),
        },
      },
      setup(vm) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
        shared_splitter(vm, rets);
      },
    });
    expect(run.finding?.kind).toBe('assert-held-failed');
    expect(run.finding?.message).toContain('lockdep_assert_held_write(&kvm->mmu_lock)');
  });
});
