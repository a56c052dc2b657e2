// The review's bugs as knobs, each with its correct default, applicable on top of any
// variant: withKnobs(v3_cross_boundary, { topup_under: 'mmu_lock' }). A knob off its
// default overrides the function the bug lives in; at its default it changes nothing.
import { type kvm_functions } from '../kvm/index.ts';
import { split_cache_topup_one_pair, split_cache_topup_under, type topup_site } from './split-cache-knobs.ts';
import { kvm_gmem_fallocate_unaligned, __kvm_gmem_invalidate_begin_no_flush, split_before_zap_none } from './zap-knobs.ts';
import { tdp_mmu_split_huge_page_plain_store } from './split-link-plain-store.ts';
import { variant, type Variant } from './variant.ts';

export interface Knobs {
  /** The split cache is topped up with fewer DPAMT pages than the split needs. */
  readonly topup_short: boolean;
  /** Leaves crossing the range are split before it is zapped (else the zap takes
   * whole huge leaves, private memory outside the range with them). */
  readonly split_before_zap: boolean;
  /** Remote TLBs are flushed after a zap. */
  readonly flush_after_zap: boolean;
  /** Where the split cache is topped up: outside every spinning lock ('none'), or,
   * wrongly, holding mmu_lock or prealloc_split_cache_lock. */
  readonly topup_under: 'none' | topup_site;
  /** PUNCH_HOLE on hugetlb/THP backing rejects unaligned ranges with -EINVAL. */
  readonly punch_hole_requires_alignment: boolean;
  /** Splitters under shared mmu_lock install their table with cmpxchg and retry
   * (else a plain "did I split" check and store). */
  readonly split_spte_atomic: boolean;
}

export const knob_defaults: Knobs = {
  topup_short: false,
  split_before_zap: true,
  flush_after_zap: true,
  topup_under: 'none',
  punch_hole_requires_alignment: true,
  split_spte_atomic: true,
};

/** The functions `knobs` replace in `fn` (only knobs off their default). */
export function knob_overrides(fn: kvm_functions, knobs: Partial<Knobs>): Partial<kvm_functions> {
  const k = { ...knob_defaults, ...knobs };
  const o: { -readonly [K in keyof kvm_functions]?: kvm_functions[K] } = {};
  if (k.topup_short) o.tdx_split_cache_topup = split_cache_topup_one_pair;
  if (!k.split_before_zap) Object.assign(o, split_before_zap_none);
  if (!k.flush_after_zap) o.__kvm_gmem_invalidate_begin = __kvm_gmem_invalidate_begin_no_flush;
  if (k.topup_under !== 'none') Object.assign(o, split_cache_topup_under(fn, k.topup_under));
  if (!k.punch_hole_requires_alignment) o.kvm_gmem_fallocate = kvm_gmem_fallocate_unaligned;
  if (!k.split_spte_atomic) o.tdp_mmu_split_huge_page = tdp_mmu_split_huge_page_plain_store;
  return o;
}

/** `v` with `knobs` set on top of its own. Same name: the knobs are the difference. */
export function withKnobs(v: Variant, knobs: Partial<Knobs>): Variant {
  const own = { ...v.knobs, ...knobs };
  return variant({ ...v, overrides: v.own, knobs: own });
}

/** Every knob of `v`, defaults included. */
export function variant_knobs(v: Variant): Knobs {
  return { ...knob_defaults, ...v.knobs };
}

/** `name knob=value ...`: `v` and the knobs of `knobs` that change it. */
export function variant_label(v: Variant, knobs: Partial<Knobs> = {}): string {
  const own = variant_knobs(v);
  const set = (Object.keys(knobs) as (keyof Knobs)[]).filter((n) => knobs[n] !== own[n]).map((n) => `${n}=${String(knobs[n])}`);
  return [v.name, ...set].join(' ');
}
