// A GFP_KERNEL allocation while holding an rwlock for read: holding any rwlock is
// atomic context, so the allocation may sleep where it must not.
import { defineScenario, DEFINE_RWLOCK, GFP_KERNEL, Kernel, kmalloc, read_lock, read_unlock } from 'septcheck';

export default defineScenario({
  name: 'gfp-kernel-under-rwlock',
  description: 'kmalloc(GFP_KERNEL) under read_lock(mmu_lock): sleeping in atomic context',
  expect: 'sleep-in-atomic',
  tracked: true,
  bounds: { strategy: 'random', schedules: 100 },
  setup(run) {
    const k = new Kernel(run);
    const mmu_lock = DEFINE_RWLOCK(k, 'mmu_lock');
    k.kthread('vcpu0', async () => {
      await read_lock(mmu_lock);
      kmalloc(k, 4096, GFP_KERNEL);
      await read_unlock(mmu_lock);
    });
  },
});
