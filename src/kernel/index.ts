// The kernel layer: primitives with kernel semantics, under kernel names, and a
// lockdep that validates across every schedule of an exploration.
export { Kernel, KERNEL_CHECKS, type KernelOptions, type SpawnOptions } from './kernel.ts';
export { KERNEL_KINDS, type KernelKind } from './kinds.ts';
export {
  current,
  task_struct,
  PREEMPT_OFFSET,
  PREEMPT_MASK,
  SOFTIRQ_OFFSET,
  SOFTIRQ_DISABLE_OFFSET,
  SOFTIRQ_MASK,
  HARDIRQ_OFFSET,
  HARDIRQ_MASK,
  TASK_LEVEL,
  SOFTIRQ_LEVEL,
  HARDIRQ_LEVEL,
} from './task.ts';
export {
  preempt_disable,
  preempt_enable,
  local_bh_disable,
  local_bh_enable,
  local_irq_save,
  local_irq_restore,
  local_irq_disable,
  local_irq_enable,
  irqs_disabled,
  in_atomic,
  preemptible,
  in_softirq,
  in_serving_softirq,
  in_hardirq,
  in_irq,
  in_interrupt,
  in_task,
  X86_EFLAGS_IF,
  type irqflags_t,
} from './preempt.ts';
export { cond_resched, cond_resched_lock, cond_resched_rwlock_read, cond_resched_rwlock_write } from './sched.ts';
export { lock_base, LD_WAIT_FREE, LD_WAIT_CONFIG, LD_WAIT_SLEEP } from './lock.ts';
export { setup_sharing, shared, shared_cache, key_namer, key_footprints_of, type key_footprints, empty_map, is_empty_map } from './shared.ts';
export {
  spinlock_t,
  spin_lock_init,
  DEFINE_SPINLOCK,
  spin_lock,
  spin_unlock,
  spin_lock_bh,
  spin_unlock_bh,
  spin_lock_irq,
  spin_unlock_irq,
  spin_lock_irqsave,
  spin_unlock_irqrestore,
  spin_trylock,
  spin_is_locked,
  spin_is_contended,
} from './spinlock.ts';
export {
  rwlock_t,
  rwlock_init,
  DEFINE_RWLOCK,
  read_lock,
  read_unlock,
  write_lock,
  write_unlock,
  read_lock_bh,
  read_unlock_bh,
  write_lock_bh,
  write_unlock_bh,
  read_trylock,
  write_trylock,
  rwlock_is_contended,
} from './rwlock.ts';
export { mutex, mutex_init, DEFINE_MUTEX, mutex_lock, mutex_unlock, mutex_trylock, mutex_is_locked } from './mutex.ts';
export {
  rw_semaphore,
  init_rwsem,
  DECLARE_RWSEM,
  down_read,
  up_read,
  down_write,
  up_write,
  down_read_trylock,
  down_write_trylock,
  rwsem_is_locked,
} from './rwsem.ts';
export {
  lockdep_is_held,
  lockdep_assert_held,
  lockdep_assert_held_read,
  lockdep_assert_held_write,
  lockdep_assert_not_held,
  lockdep_assert,
  lockdep_assert_once,
} from './lockdep/assert.ts';
export type { lockdep_map, held_lock } from './lockdep/lockdep.ts';
export {
  rcu_read_lock,
  rcu_read_unlock,
  rcu_read_lock_held,
  rcu_dereference,
  rcu_dereference_check,
  rcu_dereference_protected,
  synchronize_rcu,
  call_rcu,
  rcu_barrier,
  type rcu_head,
} from './rcu.ts';
export {
  srcu_struct,
  init_srcu_struct,
  DEFINE_SRCU,
  srcu_read_lock,
  srcu_read_unlock,
  srcu_read_lock_held,
  srcu_dereference,
  srcu_dereference_check,
  synchronize_srcu,
} from './srcu.ts';
export {
  atomic_t,
  atomic64_t,
  atomic_read,
  atomic_set,
  atomic_add,
  atomic_sub,
  atomic_inc,
  atomic_dec,
  atomic_add_return,
  atomic_inc_return,
  atomic_dec_return,
  atomic_dec_and_test,
  atomic_xchg,
  atomic_cmpxchg,
  atomic_add_unless,
  atomic_inc_not_zero,
  atomic_dec_and_lock,
  atomic64_read,
  atomic64_set,
  atomic64_add,
  atomic64_sub,
  atomic64_inc,
  atomic64_dec,
  atomic64_add_return,
  atomic64_inc_return,
  atomic64_dec_return,
  atomic64_dec_and_test,
  atomic64_xchg,
  atomic64_cmpxchg,
  atomic64_add_unless,
  atomic64_inc_not_zero,
} from './atomic.ts';
export {
  refcount_t,
  REFCOUNT_SATURATED,
  refcount_set,
  refcount_read,
  refcount_inc,
  refcount_inc_not_zero,
  refcount_dec_and_test,
  refcount_dec,
} from './refcount.ts';
export {
  kvm_mmu_memory_cache,
  KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE,
  kvm_mmu_topup_memory_cache,
  kvm_mmu_memory_cache_alloc,
  kvm_mmu_memory_cache_nr_free_objects,
  kvm_mmu_free_memory_cache,
  type kvm_mmu_memory_cache_opts,
} from './memcache.ts';
export { kmalloc, kzalloc, kfree, kmem_cache_create, kmem_cache_alloc, kmem_cache_zalloc, kmem_cache_free, kfree_rcu, type kmem_cache } from './slab.ts';
export { alloc_pages, alloc_page, __get_free_pages, __get_free_page, get_zeroed_page, __free_pages, free_pages, free_page } from './page_alloc.ts';
export { kmem_obj, kasan_check_read, kasan_check_write, type mem_kind } from './kasan.ts';
export { save_stack, stackdepot_captures, stackdepot_skip_frames, track } from './stackdepot.ts';
export { kmemleak_not_leak, kmemleak_must_free, kmemleak_referenced_by, type kmemleak_scan_fn } from './kmemleak.ts';
export { should_fail, should_failslab, should_fail_alloc_page, FAULT_SLAB, FAULT_PAGE_ALLOC, __GFP_NOFAIL } from './fault_inject.ts';
export {
  might_alloc,
  gfpflags_allow_blocking,
  gfp_name,
  GFP_KERNEL,
  GFP_KERNEL_ACCOUNT,
  GFP_ATOMIC,
  GFP_NOWAIT,
  __GFP_HIGH,
  __GFP_IO,
  __GFP_FS,
  __GFP_ZERO,
  __GFP_DIRECT_RECLAIM,
  __GFP_KSWAPD_RECLAIM,
  __GFP_RECLAIM,
  __GFP_NOWARN,
  __GFP_ACCOUNT,
  type gfp_t,
} from './gfp.ts';
export {
  completion,
  init_completion,
  reinit_completion,
  DECLARE_COMPLETION,
  complete,
  complete_all,
  wait_for_completion,
  try_wait_for_completion,
  completion_done,
} from './completion.ts';
export { wait_queue_head, init_waitqueue_head, DECLARE_WAIT_QUEUE_HEAD, wait_event, wake_up, wake_up_all, waitqueue_active } from './wait.ts';
export {
  kthread_create,
  kthread_create_on_cpu,
  kthread_run,
  kthread_stop,
  kthread_should_stop,
  wake_up_process,
  kernel_wait,
  type threadfn,
} from './kthread.ts';
export { spin_until_cond } from './processor.ts';
export { might_sleep, WARN_ON, WARN_ON_ONCE, KVM_BUG_ON } from './checks.ts';
