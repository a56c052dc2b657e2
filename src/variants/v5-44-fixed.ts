// RFC v5 44/45 with the fix from its review: "It has the same bug. FWIW, I found and
// fixed the bug on our internal branch", Sean Christopherson, Fri, 6 Feb 2026
// 09:47:21 EST, adding mutex_init(&kvm_tdx->pamt_cache_lock) to tdx_vm_init().. Upstream's
// tdx_vm_init() is that one.
import { mutex_init } from '../kernel/index.ts';
import { v5_44 } from './v5-44.ts';
import { variant } from './variant.ts';

export const v5_44_fixed = variant({
  name: 'v5-44-fixed',
  description: 'RFC v5 44/45 with mutex_init(&kvm_tdx->pamt_cache_lock) in tdx_vm_init(), as fixed in review',
  cites: [
    ...v5_44.cites.slice(0, 1),
    { subject: 'Re: [RFC PATCH v5 44/45] KVM: x86/mmu: Add support for splitting S-EPT hugepages on conversion', author: 'Sean Christopherson', date: 'Fri, 6 Feb 2026 09:47:21 EST', what: '+ mutex_init(&kvm_tdx->pamt_cache_lock) in tdx_vm_init()' },
  ],
  base: v5_44,
  overrides: (base) => ({
    // tdx_vm_init() in arch/x86/kvm/vmx/tdx.c, fixed: + mutex_init(&kvm_tdx->pamt_cache_lock).
    tdx_vm_init(kvm) {
      base.tdx_vm_init(kvm);
      mutex_init(kvm.tdx.pamt_cache_lock);
    },
  }),
});
