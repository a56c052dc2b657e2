// From a review (made up for docs/scenarios.md, in the shape of real ones): the split
// path checks for a huge leaf under read_lock(mmu_lock), drops the lock to top up its
// page cache with GFP_KERNEL (which may sleep), then retakes mmu_lock for write and
// splits without looking at the leaf again. A zap that runs in the window is undone:
// the split maps the GFN again after the zap removed it.
import { defineScenario, DEFINE_RWLOCK, GFP_KERNEL, Kernel, kmalloc, read_lock, read_unlock, write_lock, write_unlock } from 'septcheck';

export default defineScenario({
  name: 'stale-leaf-split',
  description: 'split after dropping and retaking mmu_lock without re-checking the leaf: a concurrent zap is undone',
  expect: 'invariant:zapped-stays-zapped',
  bounds: { strategy: 'dfs', schedules: 1000 },
  tracked: true,
  setup(run) {
    const k = new Kernel(run);
    const mmu_lock = DEFINE_RWLOCK(k, 'mmu_lock');
    // One 2M mapping: present, and huge until split. Shared state is tracked, so
    // that dpor can tell which steps commute.
    const leaf = run.state('leaf', { present: true, huge: true });
    const zapped = run.cell('zapped', false);

    k.kthread('splitter', async () => {
      await read_lock(mmu_lock);
      const huge = leaf.present && leaf.huge;
      await read_unlock(mmu_lock);
      if (!huge) return;
      kmalloc(k, 4096, GFP_KERNEL); // top up: may sleep, so not under mmu_lock
      await write_lock(mmu_lock);
      // The bug: `huge` was read before the lock was dropped.
      leaf.present = true;
      leaf.huge = false;
      await write_unlock(mmu_lock);
    }, { cpu: 0 });

    k.kthread('zapper', async () => {
      await write_lock(mmu_lock);
      leaf.present = false;
      zapped.set(true);
      await write_unlock(mmu_lock);
    }, { cpu: 1 });

    // Checked after every step: once zapped, the GFN stays unmapped.
    run.invariant('zapped-stays-zapped', () =>
      zapped.get() && leaf.present ? 'the leaf zapper removed is mapped again: splitter split it from a check made before it dropped mmu_lock' : null,
    );
  },
});
