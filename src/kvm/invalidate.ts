// MMU invalidation (virt/kvm/kvm_main.c, include/linux/kvm_host.h): an invalidation
// marks a GFN range in progress so faults on it retry, and bumps the sequence at the
// end so a fault that looked up a PFN before it retries too.
import { KVM_BUG_ON, lockdep_assert_held, lockdep_assert_held_write, WARN_ON } from './kernel.ts';
import type { kvm_gfn_range } from './gfn_range.ts';
import { INVALID_GPA, type kvm } from './kvm.ts';
import type { gfn_t } from './levels.ts';
import { fmt_gfn, fmt_range } from './levels.ts';

// kvm_mmu_invalidate_begin() in virt/kvm/kvm_main.c
export function kvm_mmu_invalidate_begin(kvm: kvm): void {
  lockdep_assert_held_write(kvm.mmu_lock);
  // The count increase must become visible at unlock time as no spte can be
  // established without taking the mmu_lock and count is also read inside the
  // mmu_lock critical section.
  kvm.mmu_invalidate_in_progress++;
  if (kvm.run.tracing) kvm.run.event(`mmu_invalidate_begin: in_progress ${kvm.mmu_invalidate_in_progress}, seq ${kvm.mmu_invalidate_seq}`);
  if (kvm.mmu_invalidate_in_progress === 1) {
    kvm.mmu_invalidate_range_start = INVALID_GPA;
    kvm.mmu_invalidate_range_end = INVALID_GPA;
  }
  kvm.model.bump();
}

// kvm_mmu_invalidate_range_add() in virt/kvm/kvm_main.c
export function kvm_mmu_invalidate_range_add(kvm: kvm, start: gfn_t, end: gfn_t): void {
  lockdep_assert_held_write(kvm.mmu_lock);
  WARN_ON(kvm.mmu_invalidate_in_progress === 0, 'kvm_mmu_invalidate_range_add() outside an invalidation');
  if (kvm.mmu_invalidate_range_start === INVALID_GPA) {
    kvm.mmu_invalidate_range_start = start;
    kvm.mmu_invalidate_range_end = end;
  } else {
    kvm.mmu_invalidate_range_start = Math.min(kvm.mmu_invalidate_range_start, start);
    kvm.mmu_invalidate_range_end = Math.max(kvm.mmu_invalidate_range_end, end);
  }
  if (kvm.run.tracing) kvm.run.event(`mmu_invalidate_range_add ${fmt_range(start, end)}: invalidating ${fmt_range(kvm.mmu_invalidate_range_start, kvm.mmu_invalidate_range_end)}`);
  kvm.model.bump();
}

// kvm_mmu_invalidate_end() in virt/kvm/kvm_main.c
export function kvm_mmu_invalidate_end(kvm: kvm): void {
  lockdep_assert_held_write(kvm.mmu_lock);
  // This sequence increase will notify the kvm page fault that the page that is
  // going to be mapped in the spte could have been freed.
  kvm.mmu_invalidate_seq++;
  kvm.mmu_invalidate_in_progress--;
  if (kvm.run.tracing) kvm.run.event(`mmu_invalidate_end: seq ${kvm.mmu_invalidate_seq}, in_progress ${kvm.mmu_invalidate_in_progress}`);
  KVM_BUG_ON(kvm.mmu_invalidate_in_progress < 0, kvm, 'mmu_invalidate_in_progress < 0');
  // Assert that at least one range was added between start() and end().
  WARN_ON(kvm.mmu_invalidate_range_start === INVALID_GPA, 'kvm_mmu_invalidate_end() without a range');
  kvm.model.bump();
}

/** An invalidation in progress covers `gfn`. */
export function mmu_invalidate_in_range(kvm: kvm, gfn: gfn_t): boolean {
  return (
    kvm.mmu_invalidate_in_progress > 0 &&
    (kvm.mmu_invalidate_range_start === INVALID_GPA || (gfn >= kvm.mmu_invalidate_range_start && gfn < kvm.mmu_invalidate_range_end))
  );
}

// mmu_invalidate_retry_gfn() in include/linux/kvm_host.h: under mmu_lock.
export function mmu_invalidate_retry_gfn(kvm: kvm, mmu_seq: number, gfn: gfn_t): boolean {
  lockdep_assert_held(kvm.mmu_lock);
  if (kvm.run.tracing) trace_fault_retry(kvm, mmu_seq, gfn);
  // Dropping mmu_lock after bumping mmu_invalidate_in_progress but before updating
  // the range is a KVM bug (upstream WARNs and retries).
  if (kvm.call.mmu_invalidate_in_range(kvm, gfn)) return true;
  return kvm.mmu_invalidate_seq !== mmu_seq;
}

// mmu_invalidate_retry_gfn_unsafe() in include/linux/kvm_host.h: lockless pre-check.
export function mmu_invalidate_retry_gfn_unsafe(kvm: kvm, mmu_seq: number, gfn: gfn_t): boolean {
  if (kvm.run.tracing) trace_fault_retry(kvm, mmu_seq, gfn);
  if (kvm.call.mmu_invalidate_in_range(kvm, gfn)) return true;
  return kvm.mmu_invalidate_seq !== mmu_seq;
}

// kvm_unmap_gfn_range() in arch/x86/kvm/mmu/mmu.c: returns whether TLBs need a flush.
export async function kvm_unmap_gfn_range(kvm: kvm, range: kvm_gfn_range): Promise<boolean> {
  return kvm.call.kvm_tdp_mmu_unmap_gfn_range(kvm, range, false);
}

// kvm_mmu_unmap_gfn_range() in virt/kvm/kvm_main.c
export async function kvm_mmu_unmap_gfn_range(kvm: kvm, range: kvm_gfn_range): Promise<boolean> {
  kvm.call.kvm_mmu_invalidate_range_add(kvm, range.start, range.end);
  return kvm.call.kvm_unmap_gfn_range(kvm, range);
}

/** A traced run's event for a fault on `gfn` that must retry, and why. */
function trace_fault_retry(kvm: kvm, mmu_seq: number, gfn: gfn_t): void {
  if (kvm.call.mmu_invalidate_in_range(kvm, gfn)) {
    const range = kvm.mmu_invalidate_range_start === INVALID_GPA ? 'no range yet' : fmt_range(kvm.mmu_invalidate_range_start, kvm.mmu_invalidate_range_end);
    kvm.run.event(`fault at GFN ${fmt_gfn(gfn)} retries: an invalidation is in progress (${range})`);
  } else if (kvm.mmu_invalidate_seq !== mmu_seq) {
    kvm.run.event(`fault at GFN ${fmt_gfn(gfn)} retries: mmu_invalidate_seq moved from ${mmu_seq} to ${kvm.mmu_invalidate_seq}`);
  }
}
