// The review's bugs as knobs, each with its correct default, applicable on top of any
// variant: withKnobs(v3_cross_boundary, { topup_under: 'mmu_lock' }). A knob at its
// default leaves the variant as it is.
import { default_kvm_tdx_hooks, type kvm_tdx_hooks } from '../kvm/index.ts';
import { split_cache_topup_one_pair, split_cache_topup_under, type topup_site } from './split-cache-knobs.ts';
import { tdp_mmu_link_sp_plain_store } from './split-link-plain-store.ts';
import type { Variant } from './variant.ts';

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

/** `v` with `knobs` set on top of its own. Same name: the knobs are the difference. */
export function withKnobs(v: Variant, knobs: Partial<Knobs>): Variant {
  return { ...v, knobs: { ...v.knobs, ...knobs } };
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

/** The hooks a VM gets for `v`: the variant's, with each knob off its default applied. */
export function variant_hooks(v: Variant): Partial<kvm_tdx_hooks> {
  const k = variant_knobs(v);
  const hooks: Partial<kvm_tdx_hooks> = { ...v.hooks };
  if (k.topup_short) hooks.split_cache_topup = split_cache_topup_one_pair;
  if (!k.split_before_zap) hooks.split_before_zap = false;
  if (!k.flush_after_zap) hooks.flush_after_zap = false;
  if (k.topup_under !== 'none') hooks.split_cache = split_cache_topup_under(hooks.split_cache ?? default_kvm_tdx_hooks().split_cache, k.topup_under);
  if (!k.punch_hole_requires_alignment) hooks.punch_hole_requires_alignment = false;
  if (!k.split_spte_atomic) hooks.split_link_sp = tdp_mmu_link_sp_plain_store;
  return hooks;
}
