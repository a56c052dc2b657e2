// Lock-order inversions: manifest (a schedule deadlocks), latent within one
// schedule, and latent across schedules (lockdep's graph lives in run.shared).
import { describe, it, expect } from 'vitest';
import { Exploration, ScheduleDivergence } from '../../src/engine/index.ts';
import {
  atomic_cmpxchg,
  atomic_t,
  DEFINE_RWLOCK,
  DEFINE_SPINLOCK,
  read_lock,
  read_unlock,
  spin_lock,
  spin_unlock,
  write_lock,
  write_unlock,
  type Kernel,
  type KernelOptions,
  type spinlock_t,
} from '../../src/kernel/index.ts';
import { count_schedules, dfs, program, spin, start, unspin } from './helpers.ts';

async function nest(outer: spinlock_t, inner: spinlock_t): Promise<void> {
  await spin_lock(outer);
  await spin_lock(inner);
  await spin_unlock(inner);
  await spin_unlock(outer);
}

/** T1 takes A then B, T2 takes B then A; `gate`, if any, serialises them. */
function abba(gated: boolean, opts: KernelOptions = {}) {
  return program(
    'abba',
    (k: Kernel) => {
      const a = DEFINE_SPINLOCK(k, 'A');
      const b = DEFINE_SPINLOCK(k, 'B');
      const g = DEFINE_SPINLOCK(k, 'G');
      const body = (x: spinlock_t, y: spinlock_t) => async () => {
        if (gated) await spin_lock(g);
        await nest(x, y);
        if (gated) await spin_unlock(g);
      };
      k.kthread('T1', body(a, b));
      k.kthread('T2', body(b, a));
    },
    opts,
  );
}

describe('ABBA', () => {
  it('manifest: without lockdep some schedule deadlocks, and the engine names who waits for whom', async () => {
    const r = await dfs(abba(false, { prove_locking: false }));
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f.kind).toBe('deadlock');
    expect(f.message).toContain('T1 (cpu0) waits in spin_lock(B), held by T2');
    expect(f.message).toContain('T2 (cpu1) waits in spin_lock(A), held by T1');
    // As the soft-lockup watchdog reports a task spinning for good.
    expect(f.report).toContain('watchdog: BUG: soft lockup - CPU#0 stuck [T1:1000]: spinning in spin_lock(B), held by T2/1001');
    expect(f.report).toContain('watchdog: BUG: soft lockup - CPU#1 stuck [T2:1001]: spinning in spin_lock(A), held by T1/1000');
  });

  it('manifest: with lockdep the inversion is reported before anything hangs', async () => {
    const r = await dfs(abba(false));
    expect(r.findings.map((f) => f.kind)).toEqual(['lock-order-inversion']);
    expect(r.stats.schedules).toBe(1);
  });

  it('latent: a gate lock means no schedule deadlocks...', async () => {
    const r = await dfs(abba(true, { prove_locking: false }));
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    const t = (x: string, y: string) => ({ cpu: 0, steps: [start, spin('G'), spin(x), spin(y), unspin(y), unspin(x), unspin('G')] });
    expect(r.stats.schedules).toBe(count_schedules([t('A', 'B'), { ...t('B', 'A'), cpu: 1 }]));
  });

  it('...but lockdep still reports the A/B inversion, in the kernel words', async () => {
    const r = await dfs(abba(true));
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f.kind).toBe('lock-order-inversion');
    expect(f.thread).toBe('T2');
    expect(f.message).toBe('possible circular locking dependency: T2 takes A while holding B, but A -> B was recorded (schedule #1)');
    const report = f.report!;
    for (const line of [
      'WARNING: possible circular locking dependency detected',
      'T2/1001 is trying to acquire lock:',
      '(A){+.+.}-{2:2}, at: spin_lock(A)',
      'but task is already holding lock:',
      // The held lock names the code that took it: here nest(), a function of this file.
      '(B){+.+.}-{2:2}, at: test/kernel/lockdep-order.test.ts:23 [step',
      'which lock already depends on the new lock.',
      'the existing dependency chain (in reverse order) is:',
      '-> #1 (B){+.+.}-{2:2}:',
      '-> #0 (A){+.+.}-{2:2}:',
      ' Possible unsafe locking scenario:',
      '       CPU0                    CPU1',
      '  lock(B);',
      '                               lock(A);',
      '                               lock(B);',
      '  lock(A);',
      ' *** DEADLOCK ***',
      '2 locks held by T2/1001:',
      // lockdep ends with the stack of the refused acquisition.
      'stack backtrace:\nCPU: 1 PID: 1001 Comm: T2 septcheck Not tainted\nCall Trace:\n <TASK>\n spin_lock include/linux/spinlock.h\n test/kernel/lockdep-order.test.ts:24',
    ])
      expect(report).toContain(line);
    // The scenario is in the kernel's order: CPU0 holds B, CPU1 takes A then B, CPU0 takes A.
    expect(report.indexOf('  lock(B);')).toBeLessThan(report.indexOf('                               lock(A);'));
    expect(report.indexOf('                               lock(B);')).toBeLessThan(report.lastIndexOf('  lock(A);'));
    // The trace ends with the acquisition lockdep refused.
    const last = f.trace[f.trace.length - 1]!;
    expect([last.thread, last.op, last.obj, last.result]).toEqual(['T2', 'spin_lock', 'A', 'lock-order-inversion']);
  });

  it('fixed: both take A before B, clean over all schedules', async () => {
    const r = await dfs(
      program('ab-ab', (k) => {
        const a = DEFINE_SPINLOCK(k, 'A');
        const b = DEFINE_SPINLOCK(k, 'B');
        k.kthread('T1', () => nest(a, b));
        k.kthread('T2', () => nest(a, b));
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    const t = (cpu: number) => ({ cpu, steps: [start, spin('A'), spin('B'), unspin('B'), unspin('A')] });
    expect(r.stats.schedules).toBe(count_schedules([t(0), t(1)]));
  });

  it('a three-lock cycle prints the chain', async () => {
    const r = await dfs(
      program('abc', (k) => {
        const [a, b, c] = ['A', 'B', 'C'].map((n) => DEFINE_SPINLOCK(k, n)) as [spinlock_t, spinlock_t, spinlock_t];
        k.kthread('T1', () => nest(a, b));
        k.kthread('T2', () => nest(b, c));
        k.kthread('T3', () => nest(c, a));
      }),
    );
    const f = r.findings[0]!;
    expect(f.kind).toBe('lock-order-inversion');
    expect(f.details?.chain).toEqual(['A', 'B', 'C']);
    expect(f.report).toContain('-> #2 (C){+.+.}-{2:2}:');
    expect(f.report).toContain('Chain exists of:\n  A --> B --> C');
  });
});

describe('across schedules', () => {
  /** Whoever wins the flag takes its two locks; the loser takes none. No single
   * schedule takes both orders, and none deadlocks. */
  const race = (opts: KernelOptions = {}) =>
    program(
      'racers',
      (k) => {
        const a = DEFINE_SPINLOCK(k, 'A');
        const b = DEFINE_SPINLOCK(k, 'B');
        const flag = new atomic_t(k, 'flag', 0);
        k.kthread('T1', async () => {
          if ((await atomic_cmpxchg(flag, 0, 1)) === 0) await nest(a, b);
        });
        k.kthread('T2', async () => {
          if ((await atomic_cmpxchg(flag, 0, 2)) === 0) await nest(b, a);
        });
      },
      opts,
    );
  const racers = race();

  it('finds the inversion from two schedules, with the earlier one as prelude', async () => {
    const r = await dfs(racers);
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f.kind).toBe('lock-order-inversion');
    expect(r.stats.schedules).toBeGreaterThan(1);
    expect(f.details?.schedules).toEqual([1]);
    expect(f.report).toMatch(/by T1\/1000 on CPU0 holding spin_lock\(A\), at step \d+ of schedule #1$/m);
    expect(f.report).toContain('of schedule #1');
    expect(f.prelude).toHaveLength(1);
    // No thread of the finding's own schedule took A before B.
    expect(f.trace.some((e) => e.thread === 'T1' && e.op === 'spin_lock')).toBe(false);
  });

  it('the prelude reproduces it in a fresh exploration; the schedule alone does not', async () => {
    const f = (await dfs(racers)).findings[0]!;
    const with_prelude = await new Exploration(racers, {}).replay(f.schedule, f.prelude);
    expect(with_prelude.finding?.kind).toBe('lock-order-inversion');
    const alone = await new Exploration(racers, {}).replay(f.schedule).catch((e: Error) => e);
    expect(alone).toBeInstanceOf(ScheduleDivergence); // without the recorded A -> B the run goes on past the finding
  });

  it('without lockdep the same program is clean over all its schedules', async () => {
    const off = await dfs(race({ prove_locking: false }));
    expect(off.findings).toEqual([]);
    expect(off.stats.complete).toBe('yes');
  });
});

describe('readers', () => {
  it('read_lock recursion is allowed', async () => {
    const r = await dfs(
      program('rr', (k) => {
        const l = DEFINE_RWLOCK(k, 'R');
        k.kthread('T', async () => {
          await read_lock(l);
          await read_lock(l);
          await read_unlock(l);
          await read_unlock(l);
        });
      }),
    );
    expect(r.findings).toEqual([]);
  });

  it('recursive readers on both sides of an A/B order are no cycle', async () => {
    const r = await dfs(
      program('rs-sr', (k) => {
        const rw = DEFINE_RWLOCK(k, 'R');
        const s = DEFINE_SPINLOCK(k, 'S');
        k.kthread('T1', async () => {
          await read_lock(rw);
          await spin_lock(s);
          await spin_unlock(s);
          await read_unlock(rw);
        });
        k.kthread('T2', async () => {
          await spin_lock(s);
          await read_lock(rw);
          await read_unlock(rw);
          await spin_unlock(s);
        });
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
  });

  it('a writer on one side makes it a cycle', async () => {
    const r = await dfs(
      program('rs-sw', (k) => {
        const rw = DEFINE_RWLOCK(k, 'R');
        const s = DEFINE_SPINLOCK(k, 'S');
        k.kthread('T1', async () => {
          await read_lock(rw);
          await spin_lock(s);
          await spin_unlock(s);
          await read_unlock(rw);
        });
        k.kthread('T2', async () => {
          await spin_lock(s);
          await write_lock(rw);
          await write_unlock(rw);
          await spin_unlock(s);
        });
      }),
    );
    expect(r.findings.map((f) => f.kind)).toEqual(['lock-order-inversion']);
    expect(r.findings[0]!.report).toContain('(R){++++}-{2:2}');
  });
});
