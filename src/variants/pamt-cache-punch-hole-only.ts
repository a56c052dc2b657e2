// The per-VM PAMT cache guarded only for PUNCH_HOLE, as first proposed in the review
// of v3 11/24. Sean Christopherson, Tue, 20 Jan 2026 09:51:06 -0800: "the tricky part
// is protecting the PAMT cache for PUNCH_HOLE, but that too is solvable, e.g. by
// adding a per-VM mutex that's taken by kvm_gmem_punch_hole() to handle the
// PUNCH_HOLE case, and then using the per-vCPU cache when splitting for a mismatched
// accept." Yan Zhao, Thu, 22 Jan 2026 14:27:45 +0800: "I don't get why only
// PUNCH_HOLE case needs to be protected. It's not guaranteed that
// KVM_SET_MEMORY_ATTRIBUTES2 ioctls are in vCPU contexts." A private-to-shared
// conversion from a VMM thread has no vCPU cache and splits from the per-VM cache
// without the mutex; the accessor's lockdep_assert_held(&kvm_tdx->pamt_cache_lock)
// (tdx_get_pamt_cache() in RFC v5 44/45) fires. RFC v5 44/45 takes the mutex in the
// conversion path (tdx_gmem_convert()), which is v5-44-fixed.
import { mutex_lock, mutex_unlock } from '../kernel/index.ts';
import { v5_44_fixed } from './v5-44-fixed.ts';
import { variant } from './variant.ts';

export const pamt_cache_punch_hole_only = variant({
  name: 'pamt-cache-punch-hole-only',
  description: 'The per-VM PAMT cache mutex taken by kvm_gmem_punch_hole() only; conversions from a VMM thread split from the cache without it',
  cites: [
    { subject: 'Re: [PATCH v3 11/24] KVM: x86/mmu: Introduce kvm_split_cross_boundary_leafs()', author: 'Sean Christopherson', date: 'Tue, 20 Jan 2026 09:51:06 -0800', what: 'a per-VM mutex taken by kvm_gmem_punch_hole(); the per-vCPU cache for a mismatched accept' },
    { subject: 'Re: [PATCH v3 11/24] KVM: x86/mmu: Introduce kvm_split_cross_boundary_leafs()', author: 'Yan Zhao', date: 'Thu, 22 Jan 2026 14:27:45 +0800', what: 'KVM_SET_MEMORY_ATTRIBUTES2 is not necessarily in vCPU context: conversions need the protection too' },
  ],
  base: v5_44_fixed,
  overrides: (base) => ({
    // tdx_split_cache_prepare(): conversions and memory failures top up the per-VM
    // cache (may sleep) without taking pamt_cache_lock...
    tdx_split_cache_prepare: (kvm, pages) => kvm.call.tdx_topup_pamt_cache(kvm.tdx.pamt_cache, pages),
    async tdx_split_cache_release() {},
    // ...only kvm_gmem_punch_hole() takes it, around the whole hole.
    async kvm_gmem_punch_hole(gmem, offset, len) {
      await mutex_lock(gmem.kvm.tdx.pamt_cache_lock);
      const r = await base.kvm_gmem_punch_hole(gmem, offset, len);
      await mutex_unlock(gmem.kvm.tdx.pamt_cache_lock);
      return r;
    },
  }),
});
