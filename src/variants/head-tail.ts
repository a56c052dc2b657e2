// The head/tail arithmetic from the review of v3 11/24, instead of walking the range:
// Sean Christopherson, Fri, 16 Jan 2026 18:39:15 EST: "do the math to determine
// which, if any, head and tail pages need to be split, and use the existing APIs";
// Kai Huang, Mon, 19 Jan 2026 18:40 +0800: for `start` (and likewise `end`), split
// [ALIGN_DOWN(start, 1G), ALIGN(start, 1G)) to 2M unless start is 1G-aligned, then
// [ALIGN_DOWN(start, 2M), ALIGN(start, 2M)) to 4K unless it is 2M-aligned; "if one
// to-be-split range calculated from 'start' overlaps one calculated from 'end', the
// split is only needed once". Only those blocks can hold a leaf crossing the range,
// so a 12 TiB hole costs the same walks as a 4 KiB one. The arithmetic is the
// model's default (kvm_split_boundary_leafs() in src/kvm/arch/x86/kvm/vmx/tdx.ts).
import { tdx_split_ranges, type gfn_t, type kvm_functions, type split_range } from '../kvm/index.ts';
import { variant } from './variant.ts';

/** A kvm_split_boundary_leafs() that splits, once each, the blocks `ranges` picks for [start, end). */
export function split_boundary_of(ranges: (start: gfn_t, end: gfn_t) => readonly split_range[]): kvm_functions['kvm_split_boundary_leafs'] {
  return (kvm, root, start, end) => tdx_split_ranges(kvm, root, ranges(start, end));
}

// The arithmetic is upstream's kvm_split_boundary_leafs() and
// tdx_split_cache_topup(): nothing to override.
export const head_tail = variant({
  name: 'head-tail',
  description: 'Head/tail arithmetic (Kai Huang, Sean Christopherson): split only the 1G and 2M blocks holding start and end, each once; never walk the middle',
  cites: [
    { subject: 'Re: [PATCH v3 11/24] KVM: x86/mmu: Introduce kvm_split_cross_boundary_leafs()', author: 'Sean Christopherson', date: 'Fri, 16 Jan 2026 18:39:15 EST', what: 'do the math for the head and tail pages; walking ~12TiB to maybe split two is asinine' },
    { subject: 'Re: [PATCH v3 11/24] KVM: x86/mmu: Introduce kvm_split_cross_boundary_leafs()', author: 'Kai Huang', date: 'Mon, 19 Jan 2026 18:40 +0800', what: 'the blocks per level for start and end; split a shared block once' },
  ],
});
