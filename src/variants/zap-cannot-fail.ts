// The boundary split inside an invalidation that may not fail. Sean Christopherson on
// v3 16/24, Wed, 28 Jan 2026 14:39:18 -0800: "I _want_ to just let the TDP MMU do the
// splits during kvm_gmem_zap(), but then an -ENOMEM when splitting would result in a
// partial conversion ... we'd still need to allow kvm_gmem_zap() to fail ... And I
// really, really don't want to set the precedence that "zap" operations are allow to
// fail." Yan Zhao on the v3 cover letter, Mon, 12 Jan 2026 09:39:39 +0800: "If the
// S-EPT splitting fails, falling back to zapping the huge mapping in
// kvm_gmem_error_folio() would still trigger the over-zapping issue." This variant is
// that fallback: when the split fails (-ENOMEM), the range is zapped anyway, and a
// huge leaf crossing it goes whole, private memory outside the range with it.
// Upstream (v5 44/45's arch hook before the zap) fails the operation instead.
import { write_lock, write_unlock } from '../kernel/index.ts';
import { kvm_gmem_gfn_range } from '../kvm/virt/kvm/guest_memfd.ts';
import { v5_44_fixed } from './v5-44-fixed.ts';
import { variant } from './variant.ts';

export const zap_cannot_fail = variant({
  name: 'zap-cannot-fail',
  description: 'The invalidation may not fail: when the boundary split fails (-ENOMEM), the range is zapped anyway, huge leaves crossing it whole',
  cites: [
    { subject: 'Re: [PATCH v3 16/24] KVM: guest_memfd: Split for punch hole and private-to-shared conversion', author: 'Sean Christopherson', date: 'Wed, 28 Jan 2026 14:39:18 -0800', what: 'splits inside kvm_gmem_zap(): -ENOMEM would need the zap to fail' },
    { subject: 'Re: [PATCH v3 00/24] KVM: TDX huge page support for private memory', author: 'Yan Zhao', date: 'Mon, 12 Jan 2026 09:39:39 +0800', what: 'falling back to zapping the huge mapping when the S-EPT split fails over-zaps' },
  ],
  base: v5_44_fixed,
  overrides: (base) => ({
    // kvm_gmem_invalidate_begin() in virt/kvm/guest_memfd.c, with a zap that happens
    // whatever the split returned.
    async kvm_gmem_invalidate_begin(gmem, start, end, opts) {
      const r = await base.kvm_gmem_invalidate_begin(gmem, start, end, opts);
      if (r === 0 || !opts.split) return r;
      const kvm = gmem.kvm;
      await write_lock(kvm.mmu_lock);
      await kvm.call.__kvm_gmem_invalidate_begin(kvm, kvm_gmem_gfn_range(gmem, start, end, opts.attr_filter));
      await write_unlock(kvm.mmu_lock);
      return 0;
    },
  }),
});
