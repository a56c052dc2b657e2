// Family: two eager splitters of one shared 2M leaf under read_lock(mmu_lock)
// (kvm_mmu_slot_try_split_huge_pages() from two threads). v3 rejects S-EPT splits
// under shared mmu_lock ("KVM: x86: Reject splitting huge pages under shared
// mmu_lock in TDX"), so concurrent splitters meet on the normal root. The leaf must
// end up split exactly once, whoever wins: the split_once invariant.
import {
  change_queue,
  fc,
  fmt_gfn,
  fmt_range,
  kvm_direct_root,
  kvm_flush_remote_tlbs,
  kvm_install_invariants,
  kvm_premap_shared,
  kvm_tdp_mmu_try_split_huge_pages,
  level_name,
  PG_LEVEL_2M,
  PG_LEVEL_4K,
  read_lock,
  read_unlock,
  spte_to_child_sp,
  tdp_mmu_leaves,
  type gfn_t,
  type kvm,
} from 'septcheck';
import { check_int, P1G, P2M, td_create, type family } from './_td.ts';

/** No double split: no write replaces one table with another (a splitter storing
 * its table over one another splitter linked has split the leaf twice and lost the
 * first table, with every SPTE below it). No lost split: once every thread is done,
 * [start, end) is mapped by 4K leaves only. */
export function install_split_once_invariant(vm: kvm, start: gfn_t, end: gfn_t): void {
  // Who linked each table, by table name; tracked, as every splitter writes it.
  const linked_by = vm.run.state<Record<string, string>>('linked_by', {});
  const bad = new change_queue<string>(vm.run, 'split_once');
  vm.model.tp_spte_write.register((ev) => {
    const table = spte_to_child_sp(ev.new_spte);
    const me = vm.run.current?.name ?? '?';
    if (table !== null) linked_by[table.name] = me;
    const old = spte_to_child_sp(ev.old_spte);
    if (table === null || old === null || old === table) return;
    bad.push(
      `${me} stored table ${table.name} over table ${old.name}, which ${linked_by[old.name] ?? '?'} had linked, at the ${level_name(ev.level)} ` +
        `entry for GFN ${fmt_gfn(ev.gfn)}: the huge leaf was split twice and ${old.name} is lost`,
    );
  });
  vm.run.invariant('split_once', () => {
    const msg = bad.drain()[0];
    if (msg !== undefined) return msg;
    if (!vm.run.allDone()) return null;
    for (const l of tdp_mmu_leaves(kvm_direct_root(vm), start, end, PG_LEVEL_2M /* a 4K table holds 4K leaves only */)) {
      if (l.level !== PG_LEVEL_4K) return `every splitter returned, yet a ${level_name(l.level)} leaf still maps GFN ${fmt_gfn(l.gfn)} in ${fmt_range(start, end)}`;
    }
    return null;
  });
}

export interface splitters_params {
  readonly splitters: number;
}

// kvm_mmu_slot_try_split_huge_pages() in arch/x86/kvm/mmu/mmu.c: eager page splitting
// under read mmu_lock. Flushes unconditionally afterwards, as v3 11/24 says a caller
// relying on a pure split status must (nobody can tell it whether it split).
async function kvm_mmu_slot_try_split_huge_pages(vm: kvm, start: gfn_t, end: gfn_t): Promise<void> {
  await read_lock(vm.mmu_lock);
  await kvm_tdp_mmu_try_split_huge_pages(vm, start, end, PG_LEVEL_4K, true);
  await read_unlock(vm.mmu_lock);
  await kvm_flush_remote_tlbs(vm);
}

export const splitters: family<splitters_params> = {
  tracked: true,
  story: 'A shared 2M leaf at GFN 0x40000 in the normal root; split0 and split1 each split [0x40000, 0x40200) to 4K under read_lock(mmu_lock).',
  params: { splitters: 2 },
  // Three splitters cost dfs minutes under two preemptions: drawn up to two here.
  paramsArbitrary: () => fc.record({ splitters: fc.integer({ min: 1, max: 2 }) }),
  validate: (p) => check_int('splitters', p.splitters, 1, 8),
  setup(run, v, p) {
    const vm = td_create(run, v, { private: false });
    kvm_premap_shared(vm, P1G, PG_LEVEL_2M);
    kvm_install_invariants(vm);
    install_split_once_invariant(vm, P1G, P1G + P2M);
    for (let i = 0; i < p.splitters; i++) vm.k.kthread(`split${i}`, () => kvm_mmu_slot_try_split_huge_pages(vm, P1G, P1G + P2M));
  },
};
