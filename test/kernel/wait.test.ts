// The kernel's wait primitives: completions, wait queues, kthreads made and stopped
// by a running thread, and the join of a task's end.
import { describe, expect, it } from 'vitest';
import { explore, type Program } from '../../src/engine/index.ts';
import {
  atomic_inc,
  atomic_read,
  atomic_t,
  complete,
  complete_all,
  DECLARE_COMPLETION,
  DECLARE_WAIT_QUEUE_HEAD,
  DEFINE_SPINLOCK,
  kernel_wait,
  kthread_create,
  kthread_run,
  kthread_should_stop,
  kthread_stop,
  spin_lock,
  spin_unlock,
  spin_until_cond,
  wait_event,
  wait_for_completion,
  wake_up,
  type Kernel,
} from '../../src/kernel/index.ts';
import { dfs, program } from './helpers.ts';

/** A producer hands `data` to a consumer through a completion; `signal` false
 * forgets the complete(). */
const handoff = (signal: boolean) =>
  program(`handoff${signal ? '' : '-no-complete'}`, (k, run) => {
    const ready = DECLARE_COMPLETION(k, '&ready');
    let data = 0;
    let seen = -1;
    k.kthread('producer', async () => {
      data = 42;
      if (signal) await complete(ready);
    });
    k.kthread('consumer', async () => {
      await wait_for_completion(ready);
      seen = data;
    });
    run.invariant('handoff', () => (run.threads.every((t) => t.state === 'done') && seen !== 42 ? `consumer saw ${seen}` : null));
  });

describe('completions', () => {
  it('a missing complete() leaves the waiter blocked: a deadlock in wait_for_completion(&ready)', async () => {
    const r = await dfs(handoff(false));
    const f = r.findings[0]!;
    expect(f.kind).toBe('deadlock');
    expect(f.details?.blocked).toEqual(['consumer (cpu1) waits in wait_for_completion(&ready)']);
  });

  it('the handoff with its complete() is clean in every schedule (dfs completes)', async () => {
    const r = await dfs(handoff(true));
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect(r.stats.schedules).toBeGreaterThan(1);
  });

  it('complete() wakes one waiter, complete_all() every one', async () => {
    const two = (all: boolean): Program =>
      program('two-waiters', (k) => {
        const x = DECLARE_COMPLETION(k, '&x');
        k.kthread('a', () => wait_for_completion(x));
        k.kthread('b', () => wait_for_completion(x));
        k.kthread('c', () => (all ? complete_all(x) : complete(x)));
      });
    expect((await dfs(two(true))).findings).toEqual([]);
    const one = (await dfs(two(false))).findings[0]!;
    expect(one.kind).toBe('deadlock');
    expect((one.details?.blocked as string[])[0]).toMatch(/waits in wait_for_completion\(&x\)$/);
  });

  it('wait_for_completion() under a spinlock is sleep-in-atomic', async () => {
    const p = program('wait-under-spinlock', (k) => {
      const l = DEFINE_SPINLOCK(k, 'l');
      const x = DECLARE_COMPLETION(k, '&x');
      k.kthread('waiter', async () => {
        await spin_lock(l);
        await wait_for_completion(x);
        await spin_unlock(l);
      });
      k.kthread('completer', () => complete(x));
    });
    const f = (await dfs(p)).findings[0]!;
    expect(f.kind).toBe('sleep-in-atomic');
    expect(f.message).toContain('wait_for_completion(&x)');
  });
});

describe('wait queues', () => {
  /** A waiter sleeps until `flag`; the waker sets it and, with `wake`, calls wake_up(). */
  const waiter = (wake: boolean) =>
    program(`wait-event${wake ? '' : '-no-wake'}`, (k) => {
      const wq = DECLARE_WAIT_QUEUE_HEAD(k, 'wq');
      const l = DEFINE_SPINLOCK(k, 'l');
      let flag = false;
      k.kthread('sleeper', () => wait_event(wq, () => flag));
      k.kthread('waker', async () => {
        await spin_lock(l);
        flag = true;
        await spin_unlock(l);
        if (wake) await wake_up(wq);
      });
    });

  it('wait_event() with the wake_up() is clean in every schedule', async () => {
    const r = await dfs(waiter(true));
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
  });

  it('setting the condition without wake_up() strands a sleeper: a deadlock in wait_event(wq)', async () => {
    const f = (await dfs(waiter(false))).findings[0]!;
    expect(f.kind).toBe('deadlock');
    expect(f.details?.blocked).toEqual(['sleeper (cpu0) waits in wait_event(wq)']);
  });
});

/** A parent starts a worker that counts until told to stop; the result is the count. */
const stopper = (k: Kernel, seen: Set<string>) => {
  const n = new atomic_t(k, 'n');
  k.kthread('parent', async () => {
    const w = await kthread_run(
      async () => {
        while (!(await kthread_should_stop())) await atomic_inc(n);
        return 7;
      },
      null,
      'worker',
    );
    await atomic_read(n);
    seen.add(`${await kthread_stop(w)}:${n.counter}`);
  });
};

describe('kthreads made by a running thread', () => {
  it('kthread_run() starts it, kthread_stop() stops it and returns its result', async () => {
    const seen = new Set<string>();
    const r = await explore(
      program('kthread', (k) => stopper(k, seen)),
      { strategy: 'dfs', schedules: 1e6, maxSteps: 14, stopOnFirst: false, shrink: false },
    );
    // Every bounded interleaving either ends in kthread_stop() or runs out of steps
    // while the worker counts: livelock is the only finding a bound can make.
    expect(r.findings.every((f) => f.kind === 'livelock')).toBe(true);
    // The worker's result, or -EINTR when the stop came before it first ran (as
    // kthread() checks the flag before calling the function).
    expect([...seen].every((s) => /^7:\d+$/.test(s) || s === '-4:0')).toBe(true);
    expect(seen).toContain('-4:0');
    expect([...seen].filter((s) => s.startsWith('7:')).length).toBeGreaterThan(1);
  });

  it('dfs and dpor reach the same outcomes when threads are spawned mid-run', async () => {
    const outcomes = async (strategy: 'dfs' | 'dpor') => {
      const seen = new Set<string>();
      const p = program('spawn', (k) => {
        const x = new atomic_t(k, 'x');
        k.kthread('parent', async () => {
          const a = await kthread_run(() => atomic_inc(x), null, 'a');
          await atomic_inc(x);
          await kernel_wait(a);
          seen.add(`${await atomic_read(x)}`);
        });
        k.kthread('reader', async () => void seen.add(`reader saw ${await atomic_read(x)}`));
      });
      const r = await explore(p, { strategy, schedules: 1e6, stopOnFirst: false });
      expect(r.findings).toEqual([]);
      expect(r.stats.complete).toBe('yes');
      return [...seen].sort();
    };
    const d = await outcomes('dfs');
    expect(d).toEqual(['2', 'reader saw 0', 'reader saw 1', 'reader saw 2']);
    expect(await outcomes('dpor')).toEqual(d);
  });

  it('a thread stopped before it was woken never runs its function: -EINTR', async () => {
    const results = new Set<number>();
    let ran = false;
    const p = program('stop-unwoken', (k) => {
      k.kthread('parent', async () => {
        const w = await kthread_create(() => void (ran = true), null, 'worker');
        results.add(await kthread_stop(w));
      });
    });
    const r = await dfs(p);
    expect(r.findings).toEqual([]);
    expect([...results]).toEqual([-4]);
    expect(ran).toBe(false);
  });

  it('a thread created and never woken sleeps forever in kthread(): a blocked task', async () => {
    const p = program('never-woken', (k) => {
      k.kthread('parent', async () => void (await kthread_create(() => {}, null, 'worker')));
    });
    const f = (await dfs(p)).findings[0]!;
    expect(f.kind).toBe('deadlock');
    expect(f.details?.blocked).toEqual(['worker (cpu1) waits in kthread(worker)']);
  });

  it('kernel_wait() on a task that waits for the caller is a deadlock naming both', async () => {
    const p = program('join-cycle', (k) => {
      const x = DECLARE_COMPLETION(k, '&x');
      k.kthread('parent', async () => {
        const w = await kthread_run(() => wait_for_completion(x), null, 'worker');
        await kernel_wait(w);
        await complete(x);
      });
    });
    const f = (await dfs(p)).findings[0]!;
    expect(f.kind).toBe('deadlock');
    expect(f.details?.blocked).toEqual(['parent (cpu0) waits in kernel_wait(worker), held by worker', 'worker (cpu1) waits in wait_for_completion(&x)']);
  });
});

describe('spin_until_cond()', () => {
  /** A waiter spins until `flag`; the setter sets it unless `forgets`. */
  const spin = (forgets: boolean) =>
    program('spin', (k) => {
      const v = new atomic_t(k, 'flag');
      k.kthread('spinner', () => spin_until_cond(() => v.counter === 1, 'flag == 1', v.fp_read));
      k.kthread('setter', async () => {
        if (!forgets) await atomic_inc(v);
      });
    });

  it('waits for its condition: clean in every schedule when someone sets it', async () => {
    const r = await dfs(spin(false));
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
  });

  it('a spin nobody ends is a deadlock naming it', async () => {
    const f = (await dfs(spin(true))).findings[0]!;
    expect(f.kind).toBe('deadlock');
    expect(f.details?.blocked).toEqual(['spinner (cpu0) waits in spin_until_cond(flag == 1)']);
  });
});
