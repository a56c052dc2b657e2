// A scenario's `checks` switch off the kernel's predictive reports, so the failure
// a program really reaches (a deadlock) is what is reported.
import { describe, expect, it } from 'vitest';
import { defineScenario, explore, type Checks } from '../../src/engine/index.ts';
import { DEFINE_MUTEX, DEFINE_SPINLOCK, Kernel, mutex_lock, mutex_unlock, spin_lock, spin_unlock, type KernelOptions } from '../../src/kernel/index.ts';

/** AB-BA on two mutexes, in a kernel made with `opts`. */
const abba = (checks?: Checks, opts: KernelOptions = {}) =>
  defineScenario({
    name: 'abba',
    expect: 'deadlock',
    ...(checks === undefined ? {} : { checks }),
    setup(run) {
      const k = new Kernel(run, opts);
      const a = DEFINE_MUTEX(k, 'A');
      const b = DEFINE_MUTEX(k, 'B');
      const both = (x: typeof a, y: typeof a) => async () => {
        await mutex_lock(x);
        await mutex_lock(y);
        await mutex_unlock(y);
        await mutex_unlock(x);
      };
      k.kthread('t1', both(a, b));
      k.kthread('t2', both(b, a));
    },
  });

/** `owner` returns holding the mutex `waiter` then asks for. */
const leaves_locked = (checks?: Checks) =>
  defineScenario({
    name: 'leaves-locked',
    expect: 'deadlock',
    ...(checks === undefined ? {} : { checks }),
    setup(run) {
      const k = new Kernel(run);
      const m = DEFINE_MUTEX(k, 'm');
      k.kthread('owner', () => mutex_lock(m));
      k.kthread('waiter', async () => {
        await mutex_lock(m);
        await mutex_unlock(m);
      });
    },
  });

const kinds = async (s: ReturnType<typeof abba>) => (await explore(s, { strategy: 'dfs', schedules: 1000 })).findings.map((f) => f.kind);

describe('scenario checks', () => {
  it('lockdep predicts the AB-BA inversion by default; prove_locking: false reports the deadlock itself', async () => {
    expect(await kinds(abba())).toEqual(['lock-order-inversion']);
    expect(await kinds(abba({ prove_locking: false }))).toEqual(['deadlock']);
  });

  it('a task leaving with a lock is lock-held-at-exit by default; held_at_exit: false reports the waiter it strands', async () => {
    expect(await kinds(leaves_locked())).toEqual(['lock-held-at-exit']);
    const r = await explore(leaves_locked({ held_at_exit: false }), { strategy: 'dfs', schedules: 1000 });
    expect(r.findings[0]!.details?.blocked).toEqual(['waiter (cpu1) waits in mutex_lock(m), held by owner']);
  });

  it('might_sleep: false lets a sleeping call under a spinlock pass', async () => {
    const sleeper = (checks?: Checks) =>
      defineScenario({
        name: 'sleep-under-spinlock',
        expect: 'sleep-in-atomic',
        ...(checks === undefined ? {} : { checks }),
        setup(run) {
          const k = new Kernel(run);
          const l = DEFINE_SPINLOCK(k, 'l');
          const m = DEFINE_MUTEX(k, 'm');
          k.kthread('t', async () => {
            await spin_lock(l);
            await mutex_lock(m);
            await mutex_unlock(m);
            await spin_unlock(l);
          });
        },
      });
    expect(await kinds(sleeper())).toEqual(['sleep-in-atomic']);
    expect(await kinds(sleeper({ might_sleep: false }))).toEqual([]);
  });

  it('the options given to new Kernel() win over the scenario', async () => {
    expect(await kinds(abba({ prove_locking: false }, { prove_locking: true }))).toEqual(['lock-order-inversion']);
  });
});
