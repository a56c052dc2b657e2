// The three programs a differential fuzz caught dpor calling clean: each is a bug
// dpor must find (as dfs does), and each fixed twin dpor must prove clean.
import { describe, expect, it } from 'vitest';
import { explore, type Program, type Run } from '../../src/engine/index.ts';
import {
  call_rcu,
  cond_resched,
  DEFINE_SPINLOCK,
  Kernel,
  rcu_read_lock,
  rcu_read_unlock,
  spin_lock,
  spin_unlock,
  type spinlock_t,
} from '../../src/kernel/index.ts';

/** T0: x=1; x=0 and T1: y=1; y=0; never both 1. `locked` puts each pair under one lock. */
function twoFlags(locked: boolean): Program {
  return {
    name: locked ? 'two-flags-locked' : 'two-flags',
    tracked: true,
    setup(run) {
      const k = new Kernel(run);
      const l = DEFINE_SPINLOCK(k, 'l');
      const x = run.cell('x', 0);
      const y = run.cell('y', 0);
      for (const [name, v] of [['T0', x], ['T1', y]] as const) {
        k.kthread(name, async () => {
          if (locked) await spin_lock(l);
          await run.point({ kind: 'store', obj: v.name, footprint: [] });
          v.set(1);
          await run.point({ kind: 'store', obj: v.name, footprint: [] });
          v.set(0);
          if (locked) await spin_unlock(l);
        }, { cpu: name === 'T0' ? 0 : 1 });
      }
      run.invariant('not-both', () => (x.get() === 1 && y.get() === 1 ? 'both flags set' : null));
    },
  };
}

/** A lost update on a counter: each thread increments it under a lock, the bug being
 * that they take different locks. `tracked: false` is the same program written with
 * a plain variable, which dpor cannot see: it must explore every schedule. */
function wrongLock(sameLock: boolean, tracked = true): Program {
  return {
    name: `${sameLock ? 'right' : 'wrong'}-lock${tracked ? '' : '-plain'}`,
    tracked,
    setup(run) {
      const k = new Kernel(run);
      const locks: spinlock_t[] = [DEFINE_SPINLOCK(k, 'a'), DEFINE_SPINLOCK(k, 'b')];
      const cell = run.cell('counter', 0);
      let plain = 0;
      const read = () => (tracked ? cell.get() : plain);
      const write = (v: number) => (tracked ? cell.set(v) : (plain = v));
      for (let i = 0; i < 2; i++) {
        k.kthread(`T${i}`, async () => {
          const l = locks[sameLock ? 0 : i]!;
          await spin_lock(l);
          await run.point({ kind: 'load', obj: 'counter', footprint: [] });
          const v = read();
          await run.point({ kind: 'store', obj: 'counter', footprint: [] });
          write(v + 1);
          await spin_unlock(l);
        }, { cpu: i });
      }
      run.invariant('lost-update', () => (run.allDone() && read() !== 2 ? `counter is ${read()}, expected 2` : null));
    },
  };
}

/** A reader looks at a page table it found under rcu_read_lock() after
 * rcu_read_unlock() and a cond_resched(), while an updater unpublishes it and frees
 * it from an RCU callback. `fixed` reads it inside the read-side section. */
function freedTable(fixed: boolean): Program {
  return {
    name: fixed ? 'rcu-table-read-inside' : 'rcu-table-use-after-free',
    tracked: true,
    setup(run: Run) {
      const k = new Kernel(run);
      const table = { name: 'sp1', freed: run.cell('sp1.freed', false) };
      const root = run.cell<typeof table | null>('root', table);
      const use = (t: typeof table) => {
        if (t.freed.get()) run.report({ kind: 'use-after-free', message: `reader used ${t.name} after it was freed` });
      };
      k.kthread('reader', async () => {
        await rcu_read_lock();
        await run.point({ kind: 'rcu_dereference', obj: 'root', footprint: [] });
        const t = root.get();
        if (t !== null && fixed) use(t);
        await rcu_read_unlock();
        await cond_resched();
        if (t !== null && !fixed) use(t);
      }, { cpu: 0 });
      k.kthread('updater', async () => {
        await run.point({ kind: 'rcu_assign_pointer', obj: 'root', footprint: [] });
        const old = root.get();
        root.set(null);
        if (old !== null) call_rcu(old, (t) => t.freed.set(true));
      }, { cpu: 1 });
    },
  };
}

async function verdicts(p: Program, preemptions?: number) {
  const opts = { schedules: 100_000, shrink: false, preemptions };
  const dfs = await explore(p, { ...opts, strategy: 'dfs' });
  const dpor = await explore(p, { ...opts, strategy: 'dpor' });
  return { dfs, dpor };
}

describe('dpor finds what dfs finds, and proves the fixes', () => {
  const pairs: Array<[string, Program, Program, string]> = [
    ['a step invariant over two threads\' flags', twoFlags(false), twoFlags(true), 'invariant:not-both'],
    ['a lost update under two different spinlocks', wrongLock(false), wrongLock(true), 'invariant:lost-update'],
    ['a page table read after rcu_read_unlock() and freed by call_rcu()', freedTable(false), freedTable(true), 'use-after-free'],
  ];
  for (const [what, bug, fix, kind] of pairs) {
    for (const bound of [0, 1, 2, undefined]) {
      it(`${what}, preemption bound ${bound ?? 'none'}`, async () => {
        const b = await verdicts(bug, bound);
        const f = await verdicts(fix, bound);
        // dfs decides what the bound can show; dpor must agree, both ways.
        expect(b.dpor.findings.map((x) => x.kind)).toEqual(b.dfs.findings.map((x) => x.kind));
        expect(b.dpor.verdict.class).toBe(b.dfs.verdict.class);
        if (bound === undefined || bound >= 1) expect(b.dpor.findings.map((x) => x.kind)).toEqual([kind]);
        expect(f.dfs.verdict.class).toBe('proved');
        expect(f.dpor.verdict.class).toBe('proved');
        expect([bound ?? null, null]).toContain(f.dpor.verdict.bound);
        expect(f.dpor.findings).toEqual([]);
      });
    }
  }

  it('a program that does not declare its state tracked is explored as dfs, and says so', async () => {
    const plain = await verdicts(wrongLock(false, false));
    expect(plain.dpor.findings.map((x) => x.kind)).toEqual(['invariant:lost-update']);
    expect(plain.dpor.stats.dpor).toMatch(/^no reduction: the scenario does not declare its state tracked/);
    const fixed = await verdicts(wrongLock(true, false));
    expect(fixed.dpor.stats.schedules).toBe(fixed.dfs.stats.schedules);
    expect(fixed.dpor.verdict.class).toBe('proved');
  });

  it('a run stopped at its first finding claims nothing of the schedules it did not run', async () => {
    for (const p of [twoFlags(false), wrongLock(false), freedTable(false)]) {
      for (const preemptions of [2, undefined]) {
        const r = await explore(p, { strategy: 'dpor', preemptions, schedules: 100_000, shrink: false });
        expect(r.findings.length, p.name).toBe(1);
        expect(r.verdict.class).toBe('found');
        // Its run was cut short: the threads that could still run are taken to touch
        // everything, so the tree is never empty after it.
        expect(r.stats.complete, p.name).toBeUndefined();
      }
    }
  });

  it('the tracked fixes cost dpor fewer schedules than dfs', async () => {
    for (const p of [twoFlags(true), wrongLock(true), freedTable(true)]) {
      const { dfs, dpor } = await verdicts(p);
      expect(dpor.stats.schedules, p.name).toBeLessThan(dfs.stats.schedules);
    }
  });
});
