// The fixed twin of stale-leaf-split: after retaking mmu_lock the split path checks
// the leaf again, and leaves alone what a zap removed in the window.
import { defineScenario, DEFINE_RWLOCK, GFP_KERNEL, Kernel, kmalloc, read_lock, read_unlock, write_lock, write_unlock } from 'septcheck';

export default defineScenario({
  name: 'stale-leaf-split-fixed',
  description: 'the split re-checks the leaf after retaking mmu_lock: clean in every interleaving',
  expect: 'clean',
  bounds: { strategy: 'dpor', schedules: 1000, require: 'proved' },
  tracked: true,
  setup(run) {
    const k = new Kernel(run);
    const mmu_lock = DEFINE_RWLOCK(k, 'mmu_lock');
    const leaf = run.state('leaf', { present: true, huge: true });
    const zapped = run.cell('zapped', false);

    k.kthread('splitter', async () => {
      await read_lock(mmu_lock);
      const huge = leaf.present && leaf.huge;
      await read_unlock(mmu_lock);
      if (!huge) return;
      kmalloc(k, 4096, GFP_KERNEL);
      await write_lock(mmu_lock);
      // The fix: the lock was dropped, so look again.
      if (leaf.present && leaf.huge) leaf.huge = false;
      await write_unlock(mmu_lock);
    }, { cpu: 0 });

    k.kthread('zapper', async () => {
      await write_lock(mmu_lock);
      leaf.present = false;
      zapped.set(true);
      await write_unlock(mmu_lock);
    }, { cpu: 1 });

    run.invariant('zapped-stays-zapped', () =>
      zapped.get() && leaf.present ? 'the leaf zapper removed is mapped again: splitter split it from a check made before it dropped mmu_lock' : null,
    );
  },
});
