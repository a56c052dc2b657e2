// Yielding mmu_lock in long walks (arch/x86/kvm/mmu/tdp_mmu.c): a walker drops the
// lock when another thread wants it, then restarts from the root.
import { cond_resched_rwlock_read, cond_resched_rwlock_write, rcu_read_lock, rcu_read_unlock, rwlock_is_contended } from './kernel.ts';
import type { kvm } from './kvm.ts';
import type { tdp_iter } from './tdp_iter.ts';

// tdp_mmu_iter_need_resched() in arch/x86/kvm/mmu/tdp_mmu.c. need_resched() is never
// set in the model: a spinning holder yields only to contention (rwlock_needbreak()).
export function tdp_mmu_iter_need_resched(kvm: kvm, iter: tdp_iter): boolean {
  if (!rwlock_is_contended(kvm.mmu_lock)) return false;
  // Ensure forward progress has been made before yielding.
  return iter.next_last_level_gfn !== iter.yielded_gfn;
}

// tdp_mmu_iter_cond_resched() in arch/x86/kvm/mmu/tdp_mmu.c: returns true when it
// yielded; the iterator then restarts from the root at next_last_level_gfn.
export async function tdp_mmu_iter_cond_resched(kvm: kvm, iter: tdp_iter, flush: boolean, shared: boolean): Promise<boolean> {
  if (!kvm.call.tdp_mmu_iter_need_resched(kvm, iter)) return false;
  if (flush) await kvm.call.kvm_flush_remote_tlbs(kvm);
  await rcu_read_unlock();
  if (shared) await cond_resched_rwlock_read(kvm.mmu_lock);
  else await cond_resched_rwlock_write(kvm.mmu_lock);
  await rcu_read_lock();
  iter.yielded = true;
  return true;
}
