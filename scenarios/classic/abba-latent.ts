// ABBA that never deadlocks in any schedule (a third lock serialises the two
// paths), yet lockdep sees A -> B and B -> A and reports the inversion.
import { defineScenario, DEFINE_MUTEX, DEFINE_SPINLOCK, Kernel, mutex_lock, mutex_unlock, spin_lock, spin_unlock } from 'septcheck';

export default defineScenario({
  name: 'abba-latent',
  description: 'A->B and B->A under an outer mutex: no deadlock, but a lock-order inversion',
  expect: 'lock-order-inversion',
  tracked: true,
  bounds: { strategy: 'dfs', schedules: 10_000 },
  setup(run) {
    const k = new Kernel(run);
    const outer = DEFINE_MUTEX(k, 'outer');
    const a = DEFINE_SPINLOCK(k, 'A');
    const b = DEFINE_SPINLOCK(k, 'B');
    const path = (first: typeof a, second: typeof a) => async () => {
      await mutex_lock(outer);
      await spin_lock(first);
      await spin_lock(second);
      await spin_unlock(second);
      await spin_unlock(first);
      await mutex_unlock(outer);
    };
    k.kthread('T1', path(a, b), { cpu: 0 });
    k.kthread('T2', path(b, a), { cpu: 1 });
  },
});
