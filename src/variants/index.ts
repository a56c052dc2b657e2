// The patch versions under review, by name. Each variant file cites the patch and
// message it models; knobs.ts adds the review's bugs on top of any of them.
import { head_tail } from './head-tail.ts';
import { mismatched_accept_mirror_root } from './mismatched-accept-mirror-root.ts';
import { mismatched_accept_normal_root } from './mismatched-accept-normal-root.ts';
import { promote_merge } from './promote-merge.ts';
import { pamt_cache_punch_hole_only } from './pamt-cache-punch-hole-only.ts';
import { zap_cannot_fail } from './zap-cannot-fail.ts';
import { v5_44_root_leak, v5_44_root_put } from './v5-44-root-leak.ts';
import { v5_08_stats_after, v5_08_stats_first } from './v5-08-stats-before-external.ts';
import { dpamt_put_outside_lock, dpamt_v4_08 } from './dpamt-put-outside-lock.ts';
import { v3_cross_boundary } from './v3-cross-boundary.ts';
import { v5_44 } from './v5-44.ts';
import { v5_44_fixed } from './v5-44-fixed.ts';
import type { Variant } from './variant.ts';

export { variant, type Citation, type Overrides, type Variant, type VariantDef, type VariantInfo } from './variant.ts';
export { knob_defaults, knob_overrides, variant_knobs, variant_label, withKnobs, type Knobs } from './knobs.ts';
export type { topup_site } from './split-cache-knobs.ts';
export { split_boundary_of, head_tail } from './head-tail.ts';
export { __kvm_gmem_split_private, v3_cross_boundary } from './v3-cross-boundary.ts';
export { kvm_split_cross_boundary_leafs, kvm_tdp_mmu_gfn_range_split_cross_boundary_leafs } from './v3-split.ts';
export { tdx_honor_guest_accept_level } from './v3-accept-level.ts';
export { prealloc_split_cache, per_vm_split_cache, tdx_topup_vm_split_cache } from './v3-split-cache.ts';
export { v5_44 } from './v5-44.ts';
export { v5_44_fixed } from './v5-44-fixed.ts';
export { mismatched_accept_normal_root } from './mismatched-accept-normal-root.ts';
export { mismatched_accept_mirror_root } from './mismatched-accept-mirror-root.ts';
export { promote_merge } from './promote-merge.ts';
export { pamt_cache_punch_hole_only } from './pamt-cache-punch-hole-only.ts';
export { zap_cannot_fail } from './zap-cannot-fail.ts';
export { v5_44_root_leak, v5_44_root_put } from './v5-44-root-leak.ts';
export { v5_08_stats_after, v5_08_stats_first } from './v5-08-stats-before-external.ts';
export { dpamt_put_outside_lock, dpamt_v4_08 } from './dpamt-put-outside-lock.ts';

export const variants: readonly Variant[] = [
  v3_cross_boundary,
  head_tail,
  v5_44,
  v5_44_fixed,
  mismatched_accept_normal_root,
  mismatched_accept_mirror_root,
  promote_merge,
  pamt_cache_punch_hole_only,
  zap_cannot_fail,
  v5_44_root_leak,
  v5_44_root_put,
  v5_08_stats_first,
  v5_08_stats_after,
  dpamt_put_outside_lock,
  dpamt_v4_08,
];

/** The registered variant called `name`. */
export function variant_by_name(name: string): Variant {
  const v = variants.find((x) => x.name === name);
  if (v === undefined) throw new Error(`unknown variant '${name}' (known: ${variants.map((x) => x.name).join(', ')})`);
  return v;
}
