// "[RFC PATCH v5 44/45] KVM: x86/mmu: Add support for splitting S-EPT hugepages on
// conversion", Sean Christopherson, Wed, 28 Jan 2026 17:15:16 -0800, as posted: a
// per-VM PAMT cache guarded by a mutex taken outside mmu_lock, "so that the PAMT
// cache can be topped-up as needed without needed to juggle" the lock, and the
// unaligned head and tail detected and split. The mutex is never initialised: Yan
// Zhao, Fri, 6 Feb 2026, "Missing ..._init(...)"; Sean, Fri, 6 Feb 2026 09:47:21
// EST: "It has the same bug." (the model names it kvm_tdx->pamt_cache_lock, as
// Sean's fix does).
import { tdx_pamt_cache_mutex, type kvm } from '../kvm/index.ts';
import { tdx_init_pamt_cache } from '../kvm/dpamt.ts';
import { head_tail } from './head-tail.ts';
import type { Variant } from './variant.ts';

// tdx_vm_init() in arch/x86/kvm/vmx/tdx.c as posted: the cache, but no mutex_init().
function tdx_vm_init(kvm: kvm): void {
  tdx_init_pamt_cache(kvm.tdx.pamt_cache);
}

export const v5_44: Variant = {
  name: 'v5-44',
  description: 'RFC v5 44/45 as posted: per-VM PAMT cache under pamt_cache_lock, a mutex taken before mmu_lock, never mutex_init()ed; head/tail split',
  cites: [
    { subject: '[RFC PATCH v5 44/45] KVM: x86/mmu: Add support for splitting S-EPT hugepages on conversion', author: 'Sean Christopherson', date: 'Wed, 28 Jan 2026 17:15:16 -0800', what: 'the per-VM PAMT cache and its mutex outside mmu_lock; head/tail detection' },
    { subject: 'Re: [RFC PATCH v5 44/45] KVM: x86/mmu: Add support for splitting S-EPT hugepages on conversion', author: 'Yan Zhao', date: 'Fri, 6 Feb 2026', what: 'the lock is never initialised' },
  ],
  hooks: { ...head_tail.hooks, split_cache: tdx_pamt_cache_mutex, tdx_vm_init },
};
