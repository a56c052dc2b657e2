// The registered variants and the knobs: what each one changes in the model, and the
// v3 functions' own contracts.
import { describe, expect, it } from 'vitest';
import { mutex_lock, mutex_unlock, write_lock, write_unlock } from '../../src/kernel/index.ts';
import {
  upstream,
  EOPNOTSUPP,
  KVM_FILTER_PRIVATE,
  kvm_direct_root,
  kvm_gmem_of,
  kvm_gmem_set_attributes,
  kvm_mirror_root,
  kvm_vcpu_thread,
  PG_LEVEL_2M,
  PG_LEVEL_4K,
  tdp_mmu_walk_gfn,
  tdx_min_split_cache_sz,
  tdx_premap_private,
  tdx_topup_pamt_cache,
  try_accept_one,
  type kvm,
  type kvm_vcpu,
} from '../../src/kvm/index.ts';
import { kvm_vcpu_srcu_read_unlock } from '../../src/kvm/include/linux/kvm_host.ts';
import {
  variant,
  type Variant,
  head_tail,
  knob_defaults,
  kvm_split_cross_boundary_leafs,
  prealloc_split_cache,
  v3_cross_boundary,
  v5_44,
  v5_44_fixed,
  variant_by_name,
  variant_label,
  variants,
  withKnobs,
  mismatched_accept_normal_root,
  mismatched_accept_mirror_root,
  type Knobs,
} from '../../src/variants/index.ts';
import { ops_of, run_once } from '../kvm/helpers.ts';

describe('the registered variants', () => {
  it('have unique names, a description, and cite subject, author and date of what they model', () => {
    expect(new Set(variants.map((v) => v.name)).size).toBe(variants.length);
    for (const v of variants) {
      expect(v.description.length, v.name).toBeGreaterThan(0);
      expect(v.cites.length, v.name).toBeGreaterThan(0);
      for (const c of v.cites) expect([c.subject, c.author, c.date, c.what].every((x) => x.length > 0), v.name).toBe(true);
      expect(variant_by_name(v.name)).toBe(v);
    }
    expect(() => variant_by_name('v4')).toThrow(/unknown variant 'v4'/);
  });

  it('v5-44 leaves pamt_cache_lock uninitialised; v5-44-fixed initialises it', async () => {
    const lock_of = async (v: Variant) => (await run_once({ vm: { functions: v.fn }, setup() {} })).kvm.tdx.pamt_cache_lock.initialized;
    expect(await lock_of(v5_44)).toBe(false);
    expect(await lock_of(v5_44_fixed)).toBe(true);
    // Each is written as the functions its patch changes: v5-44-fixed only tdx_vm_init().
    expect(v5_44.changes).toEqual(['tdx_vm_init']);
    expect(v5_44_fixed.fn.tdx_vm_init).not.toBe(v5_44.fn.tdx_vm_init);
    expect(Object.keys(upstream).filter((n) => (v5_44_fixed.fn as Record<string, unknown>)[n] !== (v5_44.fn as Record<string, unknown>)[n])).toEqual(['tdx_vm_init']);
  });

  it('the mismatched-accept pair split the normal root and the mirror root', async () => {
    const split_roots = async (v: Variant) => {
      const roots: string[] = [];
      await run_once({
        vm: { functions: v.fn, overrides: { tdp_mmu_split_huge_pages_root: async (kvm, root) => (roots.push(root === kvm_direct_root(kvm) ? 'direct' : root === kvm_mirror_root(kvm) ? 'mirror' : '?'), 0) } },
        setup(vm) {
          tdx_premap_private(vm, 0x200, PG_LEVEL_2M, { accepted: false });
          kvm_vcpu_thread(vm.vcpus[0]!, (v) => try_accept_one(v, 0x300, PG_LEVEL_4K));
        },
      });
      return roots;
    };
    expect((await split_roots(mismatched_accept_normal_root))[0]).toBe('direct');
    expect((await split_roots(mismatched_accept_mirror_root))[0]).toBe('mirror');
  });

  it('an override can call the version it replaces, and must name a modeled function', () => {
    const calls: string[] = [];
    const v = variant({ name: 't', description: 't', cites: [], base: v5_44, overrides: (base) => ({ tdx_vm_init: (kvm) => (calls.push('mine'), base.tdx_vm_init(kvm)) }) });
    expect(v.fn.tdx_vm_init).not.toBe(v5_44.fn.tdx_vm_init);
    expect(() => variant({ name: 'x', description: 'x', cites: [], overrides: { no_such_function: () => 0 } as never })).toThrow(/'no_such_function' is not a modeled kernel function/);
  });
});

describe('knobs', () => {
  it('at their defaults leave a variant as it is', () => {
    for (const v of [head_tail, v5_44_fixed]) expect(withKnobs(v, knob_defaults).fn).toEqual(v.fn);
    expect(variant_label(head_tail, knob_defaults)).toBe('head-tail');
    expect(variant_label(v3_cross_boundary, { punch_hole_requires_alignment: true })).toBe('v3-cross-boundary punch_hole_requires_alignment=true');
  });

  it('each off its default changes its own extension point, and the label says so', () => {
    const off: Partial<Knobs>[] = [
      { topup_short: true },
      { split_before_zap: false },
      { flush_after_zap: false },
      { topup_under: 'mmu_lock' },
      { topup_under: 'prealloc_split_cache_lock' },
      { punch_hole_requires_alignment: false },
      { split_spte_atomic: false },
    ];
    const fn_of: Record<string, string[]> = {
      topup_short: ['tdx_split_cache_topup'],
      split_before_zap: ['kvm_split_boundary_leafs', 'tdx_split_cache_topup', 'tdx_split_cache_prepare', 'tdx_split_cache_release'],
      flush_after_zap: ['__kvm_gmem_invalidate_begin'],
      'topup_under=mmu_lock': ['tdx_split_cache_take'],
      'topup_under=prealloc_split_cache_lock': ['tdx_split_cache_prepare'],
      punch_hole_requires_alignment: ['kvm_gmem_fallocate'],
      split_spte_atomic: ['tdp_mmu_split_huge_page'],
    };
    for (const k of off) {
      const [name, value] = Object.entries(k)[0]! as [keyof Knobs, unknown];
      const v = withKnobs(head_tail, k);
      expect(v.name).toBe(head_tail.name);
      const before = head_tail.fn as Record<string, unknown>;
      const after = v.fn as Record<string, unknown>;
      const changed = Object.keys(after).filter((h) => after[h] !== before[h]).sort();
      expect(changed, name).toEqual(fn_of[name === 'topup_under' ? `${name}=${String(value)}` : name]!.sort());
      expect(variant_label(head_tail, k)).toBe(`head-tail ${name}=${String(value)}`);
    }
  });

  it('topup_short tops up one DPAMT pair less than a 2M split needs', async () => {
    const { kvm } = await run_once({ setup() {} });
    const topup = withKnobs(head_tail, { topup_short: true }).fn.tdx_split_cache_topup(kvm, 0x210, 0x212);
    expect(topup).toBeLessThan(tdx_min_split_cache_sz(kvm, PG_LEVEL_2M));
  });

  it('v3 as posted lets PUNCH_HOLE take unaligned holes; the knob restores the rule', () => {
    expect(v3_cross_boundary.fn.kvm_gmem_fallocate).not.toBe(upstream.kvm_gmem_fallocate);
    expect(withKnobs(v3_cross_boundary, { punch_hole_requires_alignment: true }).fn.kvm_gmem_fallocate).toBe(upstream.kvm_gmem_fallocate);
  });
});

describe('v3: kvm_split_cross_boundary_leafs() and its callers', () => {
  /** Runs `fn` in a thread holding slots_lock and write mmu_lock. */
  const locked = (fn: (vm: kvm) => Promise<number>, rets: number[]) => (vm: kvm) => {
    vm.k.kthread('t', async () => {
      await mutex_lock(vm.slots_lock);
      await write_lock(vm.mmu_lock);
      rets.push(await fn(vm));
      await write_unlock(vm.mmu_lock);
      await mutex_unlock(vm.slots_lock);
    });
  };

  it('returns -EOPNOTSUPP unless the range may block', async () => {
    const rets: number[] = [];
    const { run, kvm } = await run_once({
      setup: (vm) => {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
        locked((v) => kvm_split_cross_boundary_leafs(v, { slot: v.memslot, start: 0x210, end: 0x220, attr_filter: KVM_FILTER_PRIVATE, may_block: false }, false), rets)(vm);
      },
    });
    expect(run.finding).toBeNull();
    expect(rets).toEqual([-EOPNOTSUPP]);
    expect(kvm.tdx.td.lookup(0x210)!.level).toBe(PG_LEVEL_2M);
  });

  it('asserts an invalidation, slots_lock or kvm->srcu (a vCPU) is held', async () => {
    const { run } = await run_once({
      setup(vm) {
        vm.k.kthread('t', async () => {
          await write_lock(vm.mmu_lock);
          await kvm_split_cross_boundary_leafs(vm, { slot: vm.memslot, start: 0x210, end: 0x220, attr_filter: KVM_FILTER_PRIVATE, may_block: true }, false);
          await write_unlock(vm.mmu_lock);
        });
      },
    });
    expect(run.finding?.kind).toBe('assert-held-failed');
    expect(run.finding?.message).toContain('srcu_read_lock_held');
  });

  it('srcu_read_lock_held(&kvm->srcu) is the vCPU\'s real read-side section: held while it runs KVM code, not once it dropped it to enter the guest', async () => {
    const split = (v: kvm_vcpu) => kvm_split_cross_boundary_leafs(v.kvm, { slot: v.kvm.memslot, start: 0x210, end: 0x220, attr_filter: KVM_FILTER_PRIVATE, may_block: true }, false);
    const on_vcpu = (drop: boolean) =>
      run_once({
        setup(vm) {
          tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
          kvm_vcpu_thread(vm.vcpus[0]!, async (v) => {
            await tdx_topup_pamt_cache(v.pamt_cache, 2 * tdx_min_split_cache_sz(vm, PG_LEVEL_2M));
            if (drop) await kvm_vcpu_srcu_read_unlock(v);
            await write_lock(vm.mmu_lock);
            await split(v);
            await write_unlock(vm.mmu_lock);
          });
        },
      });
    const held = await on_vcpu(false);
    expect(held.run.finding).toBeNull();
    expect(held.kvm.tdx.td.lookup(0x210)!.level).toBe(PG_LEVEL_4K);
    const dropped = await on_vcpu(true);
    expect(dropped.run.finding?.kind).toBe('assert-held-failed');
    expect(dropped.run.finding?.message).toContain('srcu_read_lock_held(&kvm->srcu)');
  });

  it('the accept-level caller splits the mirror leaf to the accept level and flushes nothing itself', async () => {
    const out: unknown[] = [];
    const { run, kvm } = await run_once({
      vm: { functions: v3_cross_boundary.fn },
      setup(vm) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M, { accepted: false });
        kvm_vcpu_thread(vm.vcpus[0]!, async (v) => out.push(await try_accept_one(v, 0x300, PG_LEVEL_4K)));
      },
    });
    expect(run.finding).toBeNull();
    expect(out).toEqual(['TDX_SUCCESS']);
    expect(tdp_mmu_walk_gfn(kvm_mirror_root(kvm), 0x300).level).toBe(PG_LEVEL_4K);
    expect(ops_of(run, 'vcpu0', /KVM_REQ_TLB_FLUSH/)).toEqual([]);
  });

  it('the zapping callers draw from prealloc_split_cache under prealloc_split_cache_lock, topped up outside mmu_lock', async () => {
    const { run, kvm } = await run_once({
      vm: { functions: v3_cross_boundary.fn },
      setup(vm) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
        vm.k.kthread('conv', () => kvm_gmem_set_attributes(kvm_gmem_of(vm), 0x210, 0x212, 0));
      },
    });
    expect(run.finding).toBeNull();
    const ops = ops_of(run, 'conv', /mmu_lock|prealloc_split_cache_lock|demote/);
    const first_mmu_lock = ops.indexOf('write_lock(&kvm->mmu_lock)');
    // Top-up: one locked enqueue per page, all before mmu_lock.
    const topup = 2 * tdx_min_split_cache_sz(kvm, PG_LEVEL_2M);
    expect(ops.slice(0, first_mmu_lock).filter((o) => o === 'spin_lock(&kvm_tdx->prealloc_split_cache_lock)').length).toBe(topup);
    // Dequeue under mmu_lock, before the DEMOTE that consumes the pages.
    const demote = ops.findIndex((o) => o.startsWith('tdh_mem_page_demote'));
    expect(ops.slice(first_mmu_lock, demote)).toContain('spin_lock(&kvm_tdx->prealloc_split_cache_lock)');
    expect(prealloc_split_cache(kvm).cnt).toBe(topup - tdx_min_split_cache_sz(kvm, PG_LEVEL_2M));
  });
});
