// The stress backend: threads race on the event loop with seeded random yields and
// block on real async-mutex locks; the kernel's checks stay on.
import { describe, expect, it } from 'vitest';
import { createStrategy, explore, Exploration, StressRun, type Program } from '../../src/engine/index.ts';
import { Kernel } from '../../src/kernel/index.ts';
import { abba as plain_abba, counter } from '../fixtures/programs.ts';
import { program } from '../kernel/helpers.ts';
import { abba, lost_update, rcu_free, readers_writer, trylocks, uninit_mutex, whoami } from './programs.ts';

/** A stress exploration that stops at the first finding, unshrunk. */
const stress = (p: Program, seed: number, schedules: number) => explore(p, { strategy: 'stress', seed, schedules, shrink: false });

describe('the stress strategy', () => {
  it('is selectable by name and runs its budget when nothing shows', async () => {
    expect(createStrategy('stress', { seed: 1, maxSteps: 100 }).name).toBe('stress');
    const r = await stress(lost_update(true), 1, 40);
    expect(r.findings).toEqual([]);
    expect(r.stats.schedules).toBe(40);
    expect(r.stats.stressRuns).toBe(40);
    // Two tasks of start, lock, read, set, unlock each.
    expect(r.stats.steps).toBe(40 * 10);
  });

  it('finds the lost update within a bounded number of runs, on a trace not marked replayable', async () => {
    const r = await stress(lost_update(false), 1, 50);
    const f = r.findings[0];
    expect(f?.kind).toBe('invariant:lost-update');
    expect(Number(r.stats.firstFindingAt)).toBeLessThanOrEqual(50);
    expect(f!.message).toMatch(/lost update: x = 1 .*\[stress run \d+: a trace of the order the points ran in/);
    expect(f!.details).toMatchObject({ replayable: false, stress: { seed: 1, run: r.stats.firstFindingAt } });
    // The trace is the order the steps ran: both reads before either write.
    const ops = f!.trace.map((e) => e.op).filter((op) => op !== 'start');
    expect(ops).toEqual(['atomic_read', 'atomic_read', 'atomic_set', 'atomic_set']);
  });

  it('is deterministic for a seed: the same run finds the same trace', async () => {
    const [a, b] = [await stress(lost_update(false), 3, 50), await stress(lost_update(false), 3, 50)];
    expect(b.stats.firstFindingAt).toBe(a.stats.firstFindingAt);
    expect(b.findings[0]!.trace).toEqual(a.findings[0]!.trace);
  });

  it('shrinking turns a stress finding into a schedule that replays', async () => {
    const p = lost_update(false);
    const r = await explore(p, { strategy: 'stress', seed: 1, schedules: 50 });
    const f = r.findings[0]!;
    expect(f.kind).toBe('invariant:lost-update');
    expect(f.details?.replayable).toBeUndefined();
    const run = await new Exploration(p, {}).replay(f.schedule, f.prelude ?? []);
    expect(run.finding?.kind).toBe('invariant:lost-update');
  });

  for (const [kind, kinds] of [['mutex', 'mutexes'], ['spinlock', 'spinlocks']] as const) {
    it(`reports an AB-BA on real ${kinds} as a deadlock, naming waiters and holders`, async () => {
      const r = await stress(abba(kind, false), 1, 50);
      const f = r.findings[0];
      expect(f?.kind).toBe('deadlock');
      const op = kind === 'mutex' ? 'mutex_lock' : 'spin_lock';
      expect(f!.message).toContain(`P (cpu0) waits in ${op}(B), held by Q`);
      expect(f!.message).toContain(`Q (cpu1) waits in ${op}(A), held by P`);
      // In the kernel's words: a sleeping wait is a hung task, a spinning one a soft lockup.
      const line = (who: string, cpu: number, lock: string, holder: string) =>
        kind === 'mutex'
          ? `INFO: task ${who} blocked for good in ${op}(${lock}), held by ${holder}.`
          : `watchdog: BUG: soft lockup - CPU#${cpu} stuck [${who}]: spinning in ${op}(${lock}), held by ${holder}`;
      expect(f!.report).toContain(line('P:1000', 0, 'B', 'Q/1001'));
      expect(f!.report).toContain(line('Q:1001', 1, 'A', 'P/1000'));
      // Each took its first lock; neither got its second.
      expect(f!.trace.filter((e) => e.op === op).map((e) => `${e.thread}:${e.obj}`).sort()).toEqual(['P:A', 'Q:B']);
    });

    it(`ordered ${kinds} stay clean over 200 runs`, async () => {
      const r = await stress(abba(kind, true), 1, 200);
      expect(r.findings).toEqual([]);
      expect(r.stats.schedules).toBe(200);
    });
  }

  it('finds a deadlock among ops that wait without real locks (they spin)', async () => {
    const r = await stress(plain_abba(false), 2, 50);
    expect(r.findings[0]?.kind).toBe('deadlock');
    const fixed = await stress(counter(true), 2, 100);
    expect(fixed.findings).toEqual([]);
  });

  it('still reports an uninitialised mutex, in the kernel wording', async () => {
    const r = await stress(uninit_mutex(), 1, 5);
    const f = r.findings[0];
    expect(f?.kind).toBe('uninitialized-lock');
    expect(f!.report).toContain('DEBUG_LOCKS_WARN_ON(lock->magic != lock)');
    expect(f!.report).toContain('INFO: trying to register non-static key.');
    expect(r.stats.firstFindingAt).toBe(1);
  });

  it('lets readers share an rwlock and keeps the writer alone', async () => {
    const seen = { readers: 0 };
    const r = await stress(readers_writer(seen), 1, 200);
    expect(r.findings).toEqual([]);
    expect(seen.readers).toBe(2);
  });

  it('spin_trylock() takes a free lock and fails on a held one, on the real lock too', async () => {
    const tries = { taken: 0, busy: 0 };
    const r = await stress(trylocks(tries), 1, 200);
    expect(r.findings.map((f) => f.message)).toEqual([]);
    expect(tries.taken + tries.busy).toBe(200 * 6);
    expect(tries.busy).toBeGreaterThan(0);
    expect(tries.taken).toBeGreaterThan(tries.busy);
  });

  it('keeps current() right after every resumption, through nested async calls', async () => {
    const r = await stress(whoami(), 1, 100);
    expect(r.findings.map((f) => f.message)).toEqual([]);
    expect(r.stats.schedules).toBe(100);
  });

  it('runs threads spawned mid-run (call_rcu callbacks) after their grace period', async () => {
    const r = await stress(rcu_free(), 1, 100);
    expect(r.findings.map((f) => f.message)).toEqual([]);
    expect(r.stats.schedules).toBe(100);
  });

  it('reports a thread that waits on something outside the run', async () => {
    const p = program('outside', (k) => {
      k.kthread('T', () => new Promise(() => {}));
    });
    const r = await stress(p, 1, 1);
    expect(r.findings[0]?.kind).toBe('escaped-scheduler');
  });

  it('gives the kernel its stress run, and only in stress mode', async () => {
    const kinds: string[] = [];
    const p = program('probe', (k) => {
      kinds.push(k.stress === null ? 'scheduler' : k.stress instanceof StressRun ? 'stress' : '?');
    });
    await explore(p, { strategy: 'random', schedules: 1 });
    await explore(p, { strategy: 'stress', schedules: 1 });
    expect(kinds).toEqual(['scheduler', 'stress']);
    expect(Kernel.name).toBe('Kernel');
  });
});
