// "[RFC PATCH v5 41/45] KVM: TDX: Honor the guest's accept level contained in an EPT
// violation" (Yan Zhao, posted by Sean Christopherson, Wed, 28 Jan 2026 17:15:13
// -0800): tdx_handle_mismatched_accept() splits with kvm_tdp_mmu_split_huge_pages(),
// "Split huge pages for the current root", root_to_sp(vcpu->arch.mmu->root.hpa).
// Review, Sean Christopherson, Thu, 29 Jan 2026: "This is wrong, mmu->root.hpa is
// the shared root, not the mirror root." The private huge leaf stays, and the guest's
// ACCEPT exits again and again.
import { kvm_direct_root, tdp_mmu_split_huge_pages_root } from '../kvm/index.ts';
import { variant } from './variant.ts';

export const mismatched_accept_normal_root = variant({
  name: 'mismatched-accept-normal-root',
  description: 'RFC v5 41/45 as posted: a mismatched ACCEPT splits with kvm_tdp_mmu_split_huge_pages() on vcpu->arch.mmu->root, the normal root',
  cites: [
    { subject: "[RFC PATCH v5 41/45] KVM: TDX: Honor the guest's accept level contained in an EPT violation", author: 'Sean Christopherson (from Yan Zhao)', date: 'Wed, 28 Jan 2026 17:15:13 -0800', what: 'kvm_tdp_mmu_split_huge_pages() on the current root' },
    { subject: "Re: [RFC PATCH v5 41/45] KVM: TDX: Honor the guest's accept level contained in an EPT violation", author: 'Sean Christopherson', date: 'Thu, 29 Jan 2026', what: 'mmu->root.hpa is the shared root, not the mirror root' },
  ],
  overrides: {
    // What tdx_split_to_accept_level() calls: v5 41/45's kvm_tdp_mmu_split_huge_pages()
    // in arch/x86/kvm/mmu/tdp_mmu.c, root_to_sp(vcpu->arch.mmu->root.hpa), the normal root.
    kvm_tdp_mmu_mirrors_split_huge_pages(kvm, start, end, level) {
      return tdp_mmu_split_huge_pages_root(kvm, kvm_direct_root(kvm), start, end, level, false, false);
    },
  },
});
