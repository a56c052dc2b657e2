// RFC v5 44/45 with the fix from its review: "It has the same bug. FWIW, I found and
// fixed the bug on our internal branch", Sean Christopherson, Fri, 6 Feb 2026
// 09:47:21 EST, adding mutex_init(&kvm_tdx->pamt_cache_lock) to tdx_vm_init(). The
// model's default tdx_vm_init() is that one.
import { tdx_vm_init_default } from '../kvm/index.ts';
import { v5_44 } from './v5-44.ts';
import type { Variant } from './variant.ts';

export const v5_44_fixed: Variant = {
  name: 'v5-44-fixed',
  description: 'RFC v5 44/45 with mutex_init(&kvm_tdx->pamt_cache_lock) in tdx_vm_init(), as fixed in review',
  cites: [
    ...v5_44.cites.slice(0, 1),
    { subject: 'Re: [RFC PATCH v5 44/45] KVM: x86/mmu: Add support for splitting S-EPT hugepages on conversion', author: 'Sean Christopherson', date: 'Fri, 6 Feb 2026 09:47:21 EST', what: '+ mutex_init(&kvm_tdx->pamt_cache_lock) in tdx_vm_init()' },
  ],
  hooks: { ...v5_44.hooks, tdx_vm_init: tdx_vm_init_default },
};
