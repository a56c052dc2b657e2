// The fixed twin of abba-latent: both paths take A before B.
import { defineScenario, DEFINE_SPINLOCK, Kernel, spin_lock, spin_unlock } from 'septcheck';

export default defineScenario({
  name: 'abba-ordered',
  description: 'A->B on both paths: clean across every schedule',
  expect: 'clean',
  tracked: true,
  bounds: { strategy: 'dfs', schedules: 10_000 },
  setup(run) {
    const k = new Kernel(run);
    const a = DEFINE_SPINLOCK(k, 'A');
    const b = DEFINE_SPINLOCK(k, 'B');
    for (const [name, cpu] of [['T1', 0], ['T2', 1]] as const) {
      k.kthread(name, async () => {
        await spin_lock(a);
        await spin_lock(b);
        await spin_unlock(b);
        await spin_unlock(a);
      }, { cpu });
    }
  },
});
