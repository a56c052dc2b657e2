// The mismatched ACCEPT split on the mirror root, as review settled it. Sean
// Christopherson on v3 11/24, Tue, 20 Jan 2026 09:51:06 -0800: "Just expose
// tdp_mmu_split_huge_pages_root(), the fault path only _needs_ to split the current
// root"; and on v5 41/45, "[PATCH] KVM: x86/mmu: Add a TDP MMU API to split
// hugepages for mirror roots", Thu, 29 Jan 2026 15:21:30 +0000
// (kvm_tdp_mmu_mirrors_split_huge_pages(); there is only one mirror root).
import { variant } from './variant.ts';

// Upstream's tdx_split_to_accept_level() calls kvm_tdp_mmu_mirrors_split_huge_pages(): nothing to override.
export const mismatched_accept_mirror_root = variant({
  name: 'mismatched-accept-mirror-root',
  description: 'A mismatched ACCEPT splits the mirror root down to the accept level with the exposed tdp_mmu_split_huge_pages_root()',
  cites: [
    { subject: 'Re: [PATCH v3 11/24] KVM: x86/mmu: Introduce kvm_split_cross_boundary_leafs()', author: 'Sean Christopherson', date: 'Tue, 20 Jan 2026 09:51:06 -0800', what: 'expose tdp_mmu_split_huge_pages_root(); split only the current (mirror) root' },
    { subject: '[PATCH] KVM: x86/mmu: Add a TDP MMU API to split hugepages for mirror roots', author: 'Sean Christopherson', date: 'Thu, 29 Jan 2026 15:21:30 +0000', what: 'the fix for v5 41/45: split mirror roots' },
  ],
});
