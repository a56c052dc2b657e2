// "[RFC PATCH v5 44/45] KVM: x86/mmu: Add support for splitting S-EPT hugepages on
// conversion", Sean Christopherson, Wed, 28 Jan 2026 17:15:16 -0800, as posted: a
// per-VM PAMT cache guarded by a mutex taken outside mmu_lock, "so that the PAMT
// cache can be topped-up as needed without needed to juggle" the lock, and the
// unaligned head and tail detected and split. The mutex is never initialised: Yan
// Zhao, Fri, 6 Feb 2026, "Missing ..._init(...)"; Sean, Fri, 6 Feb 2026 09:47:21
// EST: "It has the same bug." (the model names it kvm_tdx->pamt_cache_lock, as
// Sean's fix does).
import { spin_lock_init } from '../kernel/index.ts';
import { tdx_init_pamt_cache } from '../kvm/arch/x86/virt/vmx/tdx/tdx.ts';
import { variant } from './variant.ts';

export const v5_44 = variant({
  name: 'v5-44',
  description: 'RFC v5 44/45 as posted: per-VM PAMT cache under pamt_cache_lock, a mutex taken before mmu_lock, never mutex_init()ed; head/tail split',
  cites: [
    { subject: '[RFC PATCH v5 44/45] KVM: x86/mmu: Add support for splitting S-EPT hugepages on conversion', author: 'Sean Christopherson', date: 'Wed, 28 Jan 2026 17:15:16 -0800', what: 'the per-VM PAMT cache and its mutex outside mmu_lock; head/tail detection' },
    { subject: 'Re: [RFC PATCH v5 44/45] KVM: x86/mmu: Add support for splitting S-EPT hugepages on conversion', author: 'Yan Zhao', date: 'Fri, 6 Feb 2026', what: 'the lock is never initialised' },
  ],
  overrides: {
    // tdx_vm_init() in arch/x86/kvm/vmx/tdx.c as posted: the cache, but no mutex_init().
    tdx_vm_init(kvm) {
      tdx_init_pamt_cache(kvm.tdx.pamt_cache);
      spin_lock_init(kvm.tdx.prealloc_split_cache_lock);
    },
  },
});
