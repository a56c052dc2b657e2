// The model's API for the tests, plus a few helpers that drive kernel primitives the
// way a modeled caller would.
import { write_lock, write_unlock } from '../../src/kernel/index.ts';
import type { kvm } from '../../src/kvm/index.ts';

export * from '../../src/kvm/index.ts';

/** Runs `fn` under write_lock(&kvm->mmu_lock). */
export async function write_lock_for_tests(vm: kvm, fn: () => void | Promise<void>): Promise<void> {
  await write_lock(vm.mmu_lock);
  await fn();
  await write_unlock(vm.mmu_lock);
}
export { tdp_mmu_free_sp_rcu_callback as tdp_mmu_free_sp_rcu_callback_for_tests } from '../../src/kvm/arch/x86/kvm/mmu/tdp_mmu.ts';
