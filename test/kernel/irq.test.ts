// Interrupt contexts: when softirqs and hardirqs may run, and lockdep's irq-state
// checks (inconsistent lock state, irq-safe -> irq-unsafe order).
import { describe, it, expect } from 'vitest';
import {
  atomic_inc,
  atomic_t,
  DEFINE_SPINLOCK,
  in_hardirq,
  in_serving_softirq,
  in_softirq,
  in_task,
  irqs_disabled,
  local_bh_disable,
  local_bh_enable,
  spin_lock,
  spin_lock_bh,
  spin_lock_irqsave,
  spin_unlock,
  spin_unlock_bh,
  spin_unlock_irqrestore,
  type Kernel,
  type KernelOptions,
  type spinlock_t,
} from '../../src/kernel/index.ts';
import { count_schedules, dfs, plain, program, spin, spin_bh, spin_irq, start, unspin, unspin_bh, unspin_irq } from './helpers.ts';

type locker = (l: spinlock_t) => Promise<() => Promise<void>>;
const plain_lock: locker = async (l) => (await spin_lock(l), () => spin_unlock(l));
const bh_lock: locker = async (l) => (await spin_lock_bh(l), () => spin_unlock_bh(l));
const irq_lock: locker = async (l) => {
  const flags = await spin_lock_irqsave(l);
  return () => spin_unlock_irqrestore(l, flags);
};

/** A handler on CPU0 and a task on CPU0 that both update `x` under L; the task
 * takes L with `task_lock`. The handler is raised first. */
function shared_with_handler(kind: 'softirq' | 'hardirq', task_lock: locker, opts: KernelOptions = {}) {
  return program(
    `${kind}-shares-L`,
    (k: Kernel) => {
      const l = DEFINE_SPINLOCK(k, 'L');
      const x = new atomic_t(k, 'x', 0);
      const handler = async () => {
        await spin_lock(l);
        await atomic_inc(x);
        await spin_unlock(l);
      };
      if (kind === 'softirq') k.raise_softirq('net_rx', handler, { cpu: 0 });
      else k.raise_hardirq('timer', handler, { cpu: 0 });
      k.kthread(
        'T',
        async () => {
          const unlock = await task_lock(l);
          await atomic_inc(x);
          await unlock();
        },
        { cpu: 0 },
      );
    },
    opts,
  );
}

describe('softirq', () => {
  it('a lock taken in softirq and in process context with softirqs on is an inconsistent lock state', async () => {
    const r = await dfs(shared_with_handler('softirq', plain_lock));
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f.kind).toBe('irq-unsafe-lock');
    expect(f.thread).toBe('T');
    expect(f.report).toContain('WARNING: inconsistent lock state');
    expect(f.report).toContain('inconsistent {IN-SOFTIRQ-W} -> {SOFTIRQ-ON-W} usage.');
    expect(f.report).toContain('T/1001 [HC0[0]:SC0[0]:HE1:SE1] takes:');
    expect(f.report).toContain('{IN-SOFTIRQ-W} state was registered at:');
    expect(f.report).toContain('by net_rx/1000 on CPU0');
    expect(f.report).toContain('  lock(L);\n  <Interrupt>\n    lock(L);');
  });

  it('without lockdep the same bug is a deadlock: the softirq spins on the lock its CPU holds', async () => {
    const r = await dfs(shared_with_handler('softirq', plain_lock, { prove_locking: false }));
    expect(r.findings.map((f) => f.kind)).toEqual(['deadlock']);
    expect(r.findings[0]!.message).toContain('net_rx (cpu0) waits in spin_lock(L), held by T');
    expect(r.findings[0]!.report).toMatch(/^watchdog: BUG: soft lockup - CPU#0 stuck \[net_rx:\d+\]: spinning in spin_lock\(L\), held by T\/\d+$/m);
  });

  it('fixed with spin_lock_bh(): the softirq runs only before or after the critical section', async () => {
    const r = await dfs(shared_with_handler('softirq', bh_lock));
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    const model = [
      { cpu: 0, level: 1, steps: [start, spin('L'), plain, unspin('L')] },
      { cpu: 0, steps: [start, spin_bh('L'), plain, unspin_bh('L')] },
    ];
    // The softirq's block goes before T's start, between start and lock, or after T.
    expect(r.stats.schedules).toBe(count_schedules(model));
    expect(r.stats.schedules).toBe(3);
  });

  it('runs in softirq context, and not while the task has bottom halves off', async () => {
    const seen: string[] = [];
    const r = await dfs(
      program('bh', (k) => {
        const x = new atomic_t(k, 'x', 0);
        k.kthread(
          'T',
          async () => {
            local_bh_disable();
            seen.push(`T in_softirq=${in_softirq()}`);
            await atomic_inc(x);
            local_bh_enable();
            await atomic_inc(x);
          },
          { cpu: 0 },
        );
        k.raise_softirq(
          'S',
          () => void seen.push(`S task=${in_task()} serving=${in_serving_softirq()} x=${x.counter}`),
          { cpu: 0 },
        );
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    // S may run before T starts (x=0) or after T re-enabled bottom halves (x=1 or 2),
    // never while x is being set under local_bh_disable() (T's first two steps).
    expect(r.stats.schedules).toBe(count_schedules([{ cpu: 0, steps: [{ bh: 1 }, { bh: -1 }, plain] }, { cpu: 0, level: 1, steps: [start] }]));
    expect(new Set(seen.filter((s) => s.startsWith('S')))).toEqual(new Set(['S task=false serving=true x=0', 'S task=false serving=true x=1', 'S task=false serving=true x=2']));
    expect(seen).toContain('T in_softirq=true');
  });
});

describe('hardirq', () => {
  it('a lock taken in hardirq and with irqs enabled is an inconsistent lock state', async () => {
    const r = await dfs(shared_with_handler('hardirq', plain_lock));
    expect(r.findings[0]!.kind).toBe('irq-unsafe-lock');
    expect(r.findings[0]!.report).toContain('inconsistent {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage.');
  });

  it('fixed with spin_lock_irqsave()', async () => {
    const r = await dfs(shared_with_handler('hardirq', irq_lock));
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    const model = [
      { cpu: 0, level: 2, steps: [start, spin('L'), plain, unspin('L')] },
      { cpu: 0, steps: [start, spin_irq('L'), plain, unspin_irq('L')] },
    ];
    expect(r.stats.schedules).toBe(count_schedules(model));
    expect(r.stats.schedules).toBe(3);
  });

  it('runs with interrupts disabled in hardirq context', async () => {
    const seen: string[] = [];
    await dfs(program('hardirq-ctx', (k) => void k.raise_hardirq('H', () => void seen.push(`${in_hardirq()} ${irqs_disabled()}`), { cpu: 0 })));
    expect(seen).toEqual(['true true']);
  });

  it('spin_lock_bh() does not mask hardirqs', async () => {
    const r = await dfs(shared_with_handler('hardirq', bh_lock, { prove_locking: false }));
    expect(r.findings.map((f) => f.kind)).toEqual(['deadlock']);
  });
});

describe('irq-safe -> irq-unsafe lock order', () => {
  /** A is taken in softirq (SOFTIRQ-safe); T1 nests B inside A with bottom halves
   * off; T2 takes B with `t2_lock`. */
  const chain = (t2_lock: locker) =>
    program('safe-unsafe', (k) => {
      const a = DEFINE_SPINLOCK(k, 'A');
      const b = DEFINE_SPINLOCK(k, 'B');
      k.raise_softirq(
        'S',
        async () => {
          await spin_lock(a);
          await spin_unlock(a);
        },
        { cpu: 0 },
      );
      k.kthread(
        'T1',
        async () => {
          await spin_lock_bh(a);
          await spin_lock(b);
          await spin_unlock(b);
          await spin_unlock_bh(a);
        },
        { cpu: 0 },
      );
      k.kthread(
        'T2',
        async () => {
          const unlock = await t2_lock(b);
          await unlock();
        },
        { cpu: 1 },
      );
    });

  it('B taken with softirqs on, under softirq-safe A elsewhere', async () => {
    const r = await dfs(chain(plain_lock));
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f.kind).toBe('irq-unsafe-lock');
    expect(f.details).toMatchObject({ irq: 'SOFTIRQ' });
    expect(f.report).toMatch(/WARNING: (SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected|possible irq lock inversion dependency detected)/);
    expect(f.report).toContain(' Possible interrupt unsafe locking scenario:');
    expect(f.report).toContain('  lock(B);\n                               local_irq_disable();\n                               lock(A);\n                               lock(B);\n  <Interrupt>\n    lock(A);');
  });

  it('the order found at the new dependency reads as the kernel prints it', async () => {
    // T2 first makes B softirq-unsafe; then T1's A -> B joins it to softirq-safe A.
    const r = await dfs(
      program('safe-unsafe-edge', (k) => {
        const a = DEFINE_SPINLOCK(k, 'A');
        const b = DEFINE_SPINLOCK(k, 'B');
        k.kthread('T2', async () => {
          await spin_lock(b);
          await spin_unlock(b);
        });
        k.raise_softirq(
          'S',
          async () => {
            await spin_lock(a);
            await spin_unlock(a);
          },
          { cpu: 1 },
        );
        k.kthread(
          'T1',
          async () => {
            await spin_lock_bh(a);
            await spin_lock(b);
            await spin_unlock(b);
            await spin_unlock_bh(a);
          },
          { cpu: 1 },
        );
      }),
    );
    const f = r.findings[0]!;
    expect(f.kind).toBe('irq-unsafe-lock');
    expect(f.thread).toBe('T1');
    expect(f.report).toContain('WARNING: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected');
    expect(f.report).toContain('and this task is already holding:');
    expect(f.report).toContain('which would create a new lock dependency:');
    expect(f.report).toContain('but this new dependency connects a SOFTIRQ-irq-safe lock:');
    expect(f.report).toContain('to a SOFTIRQ-irq-unsafe lock:');
  });

  it('fixed: T2 takes B with spin_lock_bh()', async () => {
    const r = await dfs(chain(bh_lock));
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect(r.stats.schedules).toBe(
      count_schedules([
        { cpu: 0, level: 1, steps: [start, spin('A'), unspin('A')] },
        { cpu: 0, steps: [start, spin_bh('A'), spin('B'), unspin('B'), unspin_bh('A')] },
        { cpu: 1, steps: [start, spin_bh('B'), unspin_bh('B')] },
      ]),
    );
  });
});
