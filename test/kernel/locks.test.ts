// Lock semantics: mutual exclusion, readers, sleeping vs spinning on one CPU,
// trylock; each program explored over all its schedules.
import { describe, it, expect } from 'vitest';
import {
  atomic_read,
  atomic_set,
  atomic_t,
  DECLARE_RWSEM,
  DEFINE_MUTEX,
  DEFINE_RWLOCK,
  DEFINE_SPINLOCK,
  down_read,
  down_write,
  in_atomic,
  mutex_is_locked,
  mutex_lock,
  mutex_trylock,
  mutex_unlock,
  preempt_disable,
  preempt_enable,
  read_lock,
  read_unlock,
  spin_is_locked,
  spin_lock,
  spin_trylock,
  spin_unlock,
  up_read,
  up_write,
  write_lock,
  write_unlock,
  type Kernel,
} from '../../src/kernel/index.ts';
import type { Run } from '../../src/engine/index.ts';
import {
  choose,
  count_schedules,
  dfs,
  multinomial,
  plain,
  program,
  rlock,
  runlock,
  sleep_lock,
  sleep_unlock,
  spin,
  start,
  unspin,
} from './helpers.ts';

/** Two tasks each adding one to `x` by read then write; `guard` brackets the update. */
function increments(k: Kernel, run: Run, guard: { lock(): Promise<void>; unlock(): Promise<void> } | null, check = true) {
  const x = new atomic_t(k, 'x', 0);
  for (const [i, name] of ['T1', 'T2'].entries()) {
    k.kthread(
      name,
      async () => {
        await guard?.lock();
        const v = await atomic_read(x);
        await atomic_set(x, v + 1);
        await guard?.unlock();
      },
      { cpu: i },
    );
  }
  if (check) run.invariant('no-lost-update', () => (run.threads.every((t) => t.state === 'done') && x.counter !== 2 ? `lost update: x = ${x.counter}` : null));
}

const inc_model = (lock: (l: string) => object, unlock: (l: string) => object, cpu: number) => ({
  cpu,
  steps: [start, lock('A'), plain, plain, unlock('A')],
});

describe('mutual exclusion', () => {
  it('finds the lost update of an unlocked read-modify-write', async () => {
    const r = await dfs(program('lost-update', (k, run) => increments(k, run, null)));
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]!.kind).toBe('invariant:no-lost-update');
    expect(r.findings[0]!.message).toContain('lost update: x = 1');
  });

  it('explores every interleaving of the unlocked version when nothing is checked', async () => {
    const r = await dfs(program('racy', (k, run) => increments(k, run, null, false)));
    expect(r.stats.complete).toBe('yes');
    expect(r.stats.schedules).toBe(multinomial(3, 3)); // start, read, set each: C(6, 3) = 20
  });

  it('a spinlock makes it atomic: clean over all 12 schedules', async () => {
    const r = await dfs(
      program('spinlock', (k, run) => {
        const l = DEFINE_SPINLOCK(k, 'A');
        increments(k, run, { lock: () => spin_lock(l), unlock: () => spin_unlock(l) });
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect(r.stats.schedules).toBe(count_schedules([inc_model(spin, unspin, 0), inc_model(spin, unspin, 1)]));
    expect(r.stats.schedules).toBe(12);
  });

  it('a mutex makes it atomic too', async () => {
    const r = await dfs(
      program('mutex', (k, run) => {
        const m = DEFINE_MUTEX(k, 'M');
        increments(k, run, { lock: () => mutex_lock(m), unlock: () => mutex_unlock(m) });
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect(r.stats.schedules).toBe(count_schedules([inc_model(sleep_lock, sleep_unlock, 0), inc_model(sleep_lock, sleep_unlock, 1)]));
  });

  it('write_lock excludes writers', async () => {
    const r = await dfs(
      program('rwlock-w', (k, run) => {
        const l = DEFINE_RWLOCK(k, 'mmu_lock');
        increments(k, run, { lock: () => write_lock(l), unlock: () => write_unlock(l) });
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect(r.stats.schedules).toBe(12);
  });

  it('read_lock does not exclude writers of the data: the update is lost', async () => {
    const r = await dfs(
      program('rwlock-r', (k, run) => {
        const l = DEFINE_RWLOCK(k, 'mmu_lock');
        increments(k, run, { lock: () => read_lock(l), unlock: () => read_unlock(l) });
      }),
    );
    expect(r.findings.map((f) => f.kind)).toEqual(['invariant:no-lost-update']);
  });

  it('readers run together; a writer waits for all of them', async () => {
    const r = await dfs(
      program('readers', (k) => {
        const l = DEFINE_RWLOCK(k, 'R');
        for (const n of ['R1', 'R2'])
          k.kthread(n, async () => {
            await read_lock(l);
            await read_unlock(l);
          });
        k.kthread('W', async () => {
          await write_lock(l);
          await write_unlock(l);
        });
      }),
    );
    const reader = (cpu: number) => ({ cpu, steps: [start, rlock('R'), runlock('R')] });
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect(r.stats.schedules).toBe(count_schedules([reader(0), reader(1), { cpu: 2, steps: [start, spin('R'), unspin('R')] }]));
    // Without the writer's exclusion every interleaving would be allowed.
    expect(r.stats.schedules).toBeLessThan(multinomial(3, 3, 3));
  });

  it('rw_semaphore: down_write excludes, down_read shares', async () => {
    const r = await dfs(
      program('rwsem', (k, run) => {
        const s = DECLARE_RWSEM(k, 'filemap_invalidate_lock');
        increments(k, run, { lock: () => down_write(s), unlock: () => up_write(s) });
        k.kthread('reader', async () => {
          await down_read(s);
          await up_read(s);
        });
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect(r.stats.schedules).toBe(
      count_schedules([
        inc_model(sleep_lock, sleep_unlock, 0),
        inc_model(sleep_lock, sleep_unlock, 1),
        { cpu: 2, steps: [start, { take_read: 'A' }, { drop_read: 'A' }] },
      ]),
    );
  });
});

describe('one CPU', () => {
  /** Two tasks on `cpu`s, each holding its own lock around one atomic step. */
  function two_tasks(kind: 'spin' | 'mutex', cpus: [number, number]) {
    return program(`${kind}-cpus`, (k) => {
      const x = new atomic_t(k, 'x', 0);
      for (const [i, n] of ['T1', 'T2'].entries()) {
        const spinl = DEFINE_SPINLOCK(k, `L${i}`);
        const m = DEFINE_MUTEX(k, `M${i}`);
        k.kthread(
          n,
          async () => {
            if (kind === 'spin') await spin_lock(spinl);
            else await mutex_lock(m);
            await atomic_read(x);
            if (kind === 'spin') await spin_unlock(spinl);
            else await mutex_unlock(m);
          },
          { cpu: cpus[i] },
        );
      }
    });
  }

  it('a task holding a spinlock is not preempted by another task on its CPU', async () => {
    const same = await dfs(two_tasks('spin', [0, 0]));
    const apart = await dfs(two_tasks('spin', [0, 1]));
    expect(same.findings).toEqual([]);
    expect(same.stats.complete).toBe('yes');
    expect(apart.stats.schedules).toBe(choose(8, 4));
    // Lock, step and unlock of each task run as one block: 4!/(2*2) orders of
    // {start1, block1, start2, block2}.
    expect(same.stats.schedules).toBe(6);
    expect(same.stats.schedules).toBe(
      count_schedules([
        { cpu: 0, steps: [start, spin('L0'), plain, unspin('L0')] },
        { cpu: 0, steps: [start, spin('L1'), plain, unspin('L1')] },
      ]),
    );
  });

  it('a task holding a mutex may be preempted', async () => {
    const r = await dfs(two_tasks('mutex', [0, 0]));
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect(r.stats.schedules).toBe(choose(8, 4));
  });

  it('preempt_disable() pins the task to its CPU until preempt_enable()', async () => {
    const seen: boolean[] = [];
    const r = await dfs(
      program('preempt', (k) => {
        const x = new atomic_t(k, 'x', 0);
        k.kthread(
          'T1',
          async () => {
            preempt_disable();
            seen.push(in_atomic());
            await atomic_read(x);
            await atomic_read(x);
            preempt_enable();
          },
          { cpu: 0 },
        );
        k.kthread('T2', () => atomic_read(x), { cpu: 0 });
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect(seen.every(Boolean)).toBe(true);
    // T1 runs start..end as one block once started; T2's two steps go around it.
    expect(r.stats.schedules).toBe(count_schedules([{ cpu: 0, steps: [{ preempt: 1 }, plain, { preempt: -1 }] }, { cpu: 0, steps: [start, plain] }]));
    expect(r.stats.schedules).toBe(3);
  });
});

describe('trylock', () => {
  it('fails while another task holds the lock, and adds no lock dependency', async () => {
    const results = new Set<string>();
    const r = await dfs(
      program('trylock', (k) => {
        const a = DEFINE_SPINLOCK(k, 'A');
        const b = DEFINE_SPINLOCK(k, 'B');
        k.kthread('T1', async () => {
          await spin_lock(a);
          const got = await spin_trylock(b);
          results.add(`spin_trylock=${got}`);
          if (got) await spin_unlock(b);
          await spin_unlock(a);
        });
        k.kthread('T2', async () => {
          await spin_lock(b);
          await spin_lock(a);
          await spin_unlock(a);
          await spin_unlock(b);
        });
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect([...results].sort()).toEqual(['spin_trylock=false', 'spin_trylock=true']);
  });

  it('mutex_trylock takes a free mutex', async () => {
    const r = await dfs(
      program('mutex_trylock', (k) => {
        const m = DEFINE_MUTEX(k, 'M');
        k.kthread('T', async () => {
          const got = await mutex_trylock(m);
          if (!got || !mutex_is_locked(m)) throw new Error('mutex_trylock failed on a free mutex');
          await mutex_unlock(m);
          if (mutex_is_locked(m)) throw new Error('still locked');
        });
      }),
    );
    expect(r.findings).toEqual([]);
  });

  it('spin_is_locked() sees the holder', async () => {
    const seen: boolean[] = [];
    await dfs(
      program('is_locked', (k) => {
        const l = DEFINE_SPINLOCK(k, 'A');
        k.kthread('T', async () => {
          seen.push(spin_is_locked(l));
          await spin_lock(l);
          seen.push(spin_is_locked(l));
          await spin_unlock(l);
        });
      }),
    );
    expect(seen).toEqual([false, true]);
  });
});
