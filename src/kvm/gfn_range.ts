// struct kvm_gfn_range and its attribute filter (include/linux/kvm_host.h).
import type { kvm_memory_slot } from './kvm.ts';
import type { gfn_t } from './levels.ts';

// enum kvm_gfn_range_filter in include/linux/kvm_host.h
export const KVM_FILTER_SHARED = 1 << 0;
export const KVM_FILTER_PRIVATE = 1 << 1;

// struct kvm_gfn_range in include/linux/kvm_host.h
export interface kvm_gfn_range {
  readonly slot: kvm_memory_slot;
  readonly start: gfn_t;
  readonly end: gfn_t;
  readonly attr_filter: number;
  readonly may_block: boolean;
}
