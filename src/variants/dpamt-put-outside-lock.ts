// Dynamic PAMT's tdx_pamt_put() with its 1->0 transition outside pamt_lock, as posted
// from "[PATCHv2 04/12] x86/virt/tdx: Add tdx_alloc/free_page() helpers" (Kirill A.
// Shutemov, Mon, 9 Jun 2025) to "[PATCH v4 08/16] x86/virt/tdx: Optimize
// tdx_alloc/free_page() helpers" (Rick Edgecombe, Thu, 20 Nov 2025):
// atomic_dec_and_test() first, then pamt_lock, "Lost race with tdx_pamt_get()?", the
// PAMT.REMOVE, and the decrement reverted if the REMOVE fails.
//
// dpamt-put-outside-lock: that put under a tdx_pamt_get() with no
// TDX_HPA_RANGE_NOT_FREE case. Rick Edgecombe, Tue, 16 Sep 2025: "I couldn't figure out
// how this tdx_hpa_range_not_free() check helps ... Otherwise I'm going to drop it";
// Kirill A. Shutemov's answer (Re: [PATCHv2 04/12]) is the race: a put has taken the
// refcount to 0 and not yet removed the PAMT when a get finds 0, takes the lock and
// PAMT.ADDs a region still installed. (The model's get, v6's, WARNs there; v2 without
// the check would pr_err() and fail the get. Either way it fails a race it lost.)
//
// dpamt-v4-08: the put with the get as posted, HPA_RANGE_NOT_FREE taken as "set the
// refcount to 1". A put that stalls between its decrement and pamt_lock while a get
// and a put of another page run to completion finds the refcount 0 again, PAMT.REMOVEs
// a region already removed, and its revert leaves refcount 1 with no PAMT. The revert
// came from review: the RFC's put returned on a failed REMOVE with the refcount at 0,
// and Chao Gao asked (Re: [RFC, PATCH 05/12], Wed, 14 May 2025) "Should the refcount be
// increased here, since the PAMT pages are not removed?" -- "Right. Thanks." (Kirill).
// In the same review Chao suggested every access to the refcount be made under
// pamt_lock; Kirill kept the lock-free fast paths (Fri, 23 May 2025: "Vast majority of
// cases will take fast path which requires single atomic operation"). The race needs
// three threads (the stalled put, and another TD's get and put of the region), which
// is why Kirill's two-CPU scenario of 16 Sep 2025 does not show it.
//
// Both are fixed by doing the 1->0 transition under pamt_lock: Dave Hansen on RFC v5
// 16/45, Tue, 10 Feb 2026: "atomic_dec_and_lock() ... only the 0=>1 and 1=>0
// transitions need the global lock", and "Kirill was right, atomic_dec_and_test()
// doesn't work by itself here. But I think atomic_dec_and_lock() will." That is the
// model's tdx_pamt_put() (v6 06/11), the fixed twins' v5-44-fixed.
import { atomic_dec_and_test, atomic_inc, atomic_inc_not_zero, atomic_read, atomic_set, spin_lock, spin_unlock } from '../kernel/index.ts';
import { EIO, pamt_region, tdx_dpamt_entry_pages, tdx_find_pamt_refcount, TDX_SUCCESS } from '../kvm/index.ts';
import { v5_44_fixed } from './v5-44-fixed.ts';
import { variant } from './variant.ts';

const posted = { subject: '[PATCH v4 08/16] x86/virt/tdx: Optimize tdx_alloc/free_page() helpers', author: 'Rick Edgecombe (from Kirill A. Shutemov)', date: 'Thu, 20 Nov 2025 16:51:17 -0800', what: 'the put fast path: atomic_dec_and_test(), then pamt_lock and a recheck; HPA_RANGE_NOT_FREE in the get' };
const fix = { subject: 'Re: [RFC PATCH v5 16/45] x86/virt/tdx: Add tdx_alloc/free_control_page() helpers', author: 'Dave Hansen', date: 'Tue, 10 Feb 2026', what: 'atomic_dec_and_lock(): the 1->0 transition under pamt_lock; atomic_dec_and_test() "doesn\'t work by itself here"' };

export const dpamt_put_outside_lock = variant({
  name: 'dpamt-put-outside-lock',
  description: "tdx_pamt_put() decrements 1->0 before taking pamt_lock; tdx_pamt_get() has no TDX_HPA_RANGE_NOT_FREE case (Rick's proposal to drop it)",
  cites: [
    { subject: 'Re: [PATCHv2 04/12] x86/virt/tdx: Add tdx_alloc/free_page() helpers', author: 'Rick Edgecombe', date: 'Tue, 16 Sep 2025', what: 'proposes dropping the tdx_hpa_range_not_free() check' },
    { subject: 'Re: [PATCHv2 04/12] x86/virt/tdx: Add tdx_alloc/free_page() helpers', author: 'Kirill A. Shutemov', date: 'Tue, 16 Sep 2025', what: 'the put/get race the check is for' },
    fix,
  ],
  base: v5_44_fixed,
  overrides: {
    // tdx_pamt_put() in arch/x86/virt/vmx/tdx/tdx.c (v2 04/12 to v4 08/16)
    async tdx_pamt_put(kvm, pfn) {
      const host = kvm.host;
      const pamt_refcount = tdx_find_pamt_refcount(host, pfn);
      if (!host.pamt.dynamic || !(await atomic_dec_and_test(pamt_refcount))) return;
      await spin_lock(host.pamt_lock);
      // Lost race with tdx_pamt_get()? If not, PAMT.REMOVE; the refcount was decremented
      // outside the lock, so a failed REMOVE increments it back (and pr_err()s).
      if ((await atomic_read(pamt_refcount)) === 0 && (await kvm.call.tdh_phymem_pamt_remove(host.pamt, host.run, pamt_region(pfn))) !== TDX_SUCCESS) await atomic_inc(pamt_refcount);
      await spin_unlock(host.pamt_lock);
    },
  },
});

export const dpamt_v4_08 = variant({
  name: 'dpamt-v4-08',
  description: 'DPAMT get/put fast paths as posted in v3/v4 08/16: the put decrements 1->0 before pamt_lock, the get takes TDX_HPA_RANGE_NOT_FREE as refcount 1',
  cites: [
    posted,
    { subject: 'Re: [RFC, PATCH 05/12] KVM: TDX: Add tdx_pamt_get()/put() helpers', author: 'Chao Gao', date: 'Wed, 14 May 2025 13:33:38 +0800', what: '"Should the refcount be increased here, since the PAMT pages are not removed?": the revert on a failed PAMT.REMOVE' },
    { subject: 'Re: [RFC, PATCH 05/12] KVM: TDX: Add tdx_pamt_get()/put() helpers', author: 'Kirill A. Shutemov', date: 'Fri, 23 May 2025 13:46:47 +0300', what: 'keeps the decrement outside pamt_lock ("Vast majority of cases will take fast path")' },
    { subject: 'Re: [PATCHv2 04/12] x86/virt/tdx: Add tdx_alloc/free_page() helpers', author: 'Kirill A. Shutemov', date: 'Tue, 16 Sep 2025', what: 'the HPA_RANGE_NOT_FREE race' },
    fix,
  ],
  base: dpamt_put_outside_lock,
  overrides: {
    // tdx_pamt_get() in arch/x86/virt/vmx/tdx/tdx.c (v4 08/16)
    async tdx_pamt_get(kvm, pfn, cache, gfn) {
      const host = kvm.host;
      const pamt_refcount = tdx_find_pamt_refcount(host, pfn);
      if (!host.pamt.dynamic || (await atomic_inc_not_zero(pamt_refcount))) return 0;
      const pages = kvm.call.tdx_alloc_pamt_pages(kvm, cache, tdx_dpamt_entry_pages(host), gfn);
      let ret = 0;
      await spin_lock(host.pamt_lock);
      // Lost race to other tdx_pamt_add(): it already added the PAMT for the HPA.
      if (await atomic_read(pamt_refcount)) await atomic_inc(pamt_refcount);
      else {
        const err = await kvm.call.tdh_phymem_pamt_add(host.pamt, host.run, pamt_region(pfn), pages);
        // HPA_RANGE_NOT_FREE: a tdx_pamt_put() decremented to 0 and has not removed it yet.
        if (err === TDX_SUCCESS || err === 'TDX_HPA_RANGE_NOT_FREE') await atomic_set(pamt_refcount, 1);
        else ret = -EIO; // pr_err()
      }
      await spin_unlock(host.pamt_lock);
      return ret;
    },
  },
});
