import { describe, expect, it } from 'vitest';
import { explore, Exploration, renderTrace, type Program } from '../../src/engine/index.ts';
import { abba, lostUpdate } from './programs.ts';

/** Number of interleavings of threads with the given step counts. */
function multinomial(counts: number[]): number {
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  return fact(counts.reduce((a, b) => a + b, 0)) / counts.reduce((p, c) => p * fact(c), 1);
}

describe('determinism', () => {
  it('gives the same trace for the same seed, byte for byte', async () => {
    const a = await explore(lostUpdate(false), { strategy: 'random', seed: 7, schedules: 500 });
    const b = await explore(lostUpdate(false), { strategy: 'random', seed: 7, schedules: 500 });
    expect(a.findings).toHaveLength(1);
    expect(JSON.stringify(b.findings[0]!.trace)).toBe(JSON.stringify(a.findings[0]!.trace));
    expect(b.findings[0]!.schedule).toEqual(a.findings[0]!.schedule);
    expect(b.stats).toEqual(a.stats);
  });

  it('explores different schedules for different seeds', async () => {
    const schedules = new Set<string>();
    for (let seed = 0; seed < 8; seed++) {
      const r = await explore(lostUpdate(false), { strategy: 'random', seed, schedules: 1000 });
      schedules.add(JSON.stringify(r.findings[0]!.schedule));
    }
    expect(schedules.size).toBeGreaterThan(1);
  });

  it('replays a finding strictly from its semantic schedule', async () => {
    const r = await explore(lostUpdate(false), { strategy: 'random', seed: 3, schedules: 500 });
    const f = r.findings[0]!;
    const ex = new Exploration(lostUpdate(false), {});
    const run = await ex.replay(f.schedule);
    expect(run.finding?.kind).toBe(f.kind);
    expect(renderTrace(run.finding!.trace)).toBe(renderTrace(f.trace));
  });

  it('rejects a schedule that does not fit the program', async () => {
    const ex = new Exploration(lostUpdate(false), {});
    const bogus = { switches: [{ step: 0, thread: 'Z', op: 'start' }], steps: 6 };
    await expect(ex.replay(bogus)).rejects.toThrow(/schedule switches to Z/);
  });
});

describe('lost update', () => {
  it('is found without the lock', async () => {
    const r = await explore(lostUpdate(false), { strategy: 'random', seed: 1, schedules: 1000 });
    expect(r.findings[0]?.kind).toBe('invariant:counter');
    expect(r.findings[0]?.message).toMatch(/counter is 1/);
  });

  it('is clean with the lock across every schedule', async () => {
    const r = await explore(lostUpdate(true), { strategy: 'dfs', schedules: 1e6 });
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    // Every schedule either runs A's critical section before B's or after it, and
    // the threads' starts interleave freely with the other's section.
    expect(r.stats.schedules).toBeGreaterThan(2);
  });

  it('enumerates exactly the multinomial number of racy interleavings', async () => {
    const r = await explore(lostUpdate(false), { strategy: 'dfs', schedules: 1e6, stopOnFirst: false });
    expect(r.stats.schedules).toBe(multinomial([3, 3]));
    expect(r.findings.length).toBeGreaterThan(0);
    expect(r.findings.length).toBeLessThan(r.stats.schedules);
  });
});

describe('deadlock', () => {
  it('reports each blocked thread, what it waits for and who holds it', async () => {
    const r = await explore(abba(false), { strategy: 'dfs', schedules: 1e6 });
    const f = r.findings[0]!;
    expect(f.kind).toBe('deadlock');
    expect(f.report).toContain('T1 (cpu0) waits in lock(B), held by T2');
    expect(f.report).toContain('T2 (cpu1) waits in lock(A), held by T1');
  });

  it('does not happen when both threads take the locks in one order', async () => {
    const r = await explore(abba(true), { strategy: 'dfs', schedules: 1e6 });
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
  });
});

describe('livelock', () => {
  const spinner = (bounded: boolean): Program => ({
    name: 'spinner',
    setup(run) {
      const flag = { set: false };
      run.spawn('waiter', async () => {
        for (let i = 0; bounded ? i < 5 : !flag.set; i++) {
          await run.point({ kind: 'cmpxchg', obj: 'spte' });
          await run.point({ kind: 'retry' });
        }
      });
    },
  });

  it('reports the repeating operations once the step bound is exceeded', async () => {
    const r = await explore(spinner(false), { schedules: 1, maxSteps: 100 });
    expect(r.findings[0]?.kind).toBe('livelock');
    // The cycle once, with how often it ran: never the steps themselves.
    expect(r.findings[0]?.message).toBe('livelock: no progress within 100 steps; from step 1 the same 2 steps repeat 49 times: waiter:cmpxchg(spte) -> waiter:retry');
    expect(r.findings[0]?.details).toMatchObject({ repeating: ['waiter:cmpxchg(spte)', 'waiter:retry'], from: 1, times: 49 });
  });

  it('is not reported for a loop that ends', async () => {
    const r = await explore(spinner(true), { schedules: 1, maxSteps: 100 });
    expect(r.findings).toEqual([]);
  });
});

describe('thread exceptions', () => {
  const thrower = (fail: boolean): Program => ({
    name: 'thrower',
    setup(run) {
      run.spawn('T', async () => {
        await run.point({ kind: 'read', obj: 'x' });
        if (fail) throw new Error('boom');
        await run.point({ kind: 'write', obj: 'x' });
      });
    },
  });

  it('become findings with the thread history', async () => {
    const r = await explore(thrower(true), { schedules: 1 });
    const f = r.findings[0]!;
    expect(f.kind).toBe('thread-exception');
    expect(f.message).toBe('thread T threw: boom');
    expect(f.details?.history).toEqual(['#0 start', '#1 read(x)']);
  });

  it('are absent when the thread returns', async () => {
    expect((await explore(thrower(false), { schedules: 1 })).findings).toEqual([]);
  });
});

describe('foreign awaits', () => {
  const awaiter = (what: 'timer' | 'never' | 'none'): Program => ({
    name: `await-${what}`,
    setup(run) {
      run.spawn('other', async () => {
        await run.point({ kind: 'noop' });
      });
      run.spawn('T', async () => {
        await run.point({ kind: 'lock', obj: 'L' });
        if (what === 'timer') await new Promise((r) => setTimeout(r, 1));
        if (what === 'never') await new Promise(() => {});
        await run.point({ kind: 'unlock', obj: 'L' });
      });
    },
  });

  it.each(['timer', 'never'] as const)('report escaped-scheduler for a %s, naming thread and last op', async (what) => {
    const r = await explore(awaiter(what), { schedules: 3 });
    const f = r.findings[0]!;
    expect(f.kind).toBe('escaped-scheduler');
    expect(f.message).toContain('thread T');
    expect(f.message).toContain('after lock(L)');
  });

  it('are not reported when every await goes through the scheduler', async () => {
    expect((await explore(awaiter('none'), { schedules: 20 })).findings).toEqual([]);
  });
});

describe('handlers', () => {
  it('run to completion before lower levels on their CPU', async () => {
    const program: Program = {
      name: 'handler',
      setup(run) {
        const log: string[] = [];
        run.spawn('task', async () => {
          for (let i = 0; i < 3; i++) {
            await run.point({ kind: 'work' });
            log.push('task');
          }
        }, { cpu: 0 });
        run.spawn('softirq', async () => {
          for (let i = 0; i < 2; i++) {
            await run.point({ kind: 'handle' });
            log.push('irq');
          }
        }, { cpu: 0, level: 1 });
        run.onThreadExit((t) => {
          if (t.name === 'softirq' && log.lastIndexOf('irq') - log.indexOf('irq') !== 1) {
            run.report({ kind: 'split-handler', message: log.join(',') });
          }
        });
      },
    };
    const r = await explore(program, { strategy: 'dfs', schedules: 1e6 });
    expect(r.findings).toEqual([]);
    // The handler's 3 steps form one block placed among the task's 4 steps.
    expect(r.stats.schedules).toBe(4 + 1);
  });
});

describe('set-up failures', () => {
  const fragile: Program<number> = {
    name: 'fragile',
    params: 1,
    setup(run, n) {
      if (n > 2) throw new Error(`no room for ${n} threads`);
      for (let i = 0; i < n; i++) run.spawn(`T${i}`, async () => run.point({ kind: 'noop' }));
    },
  };

  it('are findings naming the parameters, not crashes', async () => {
    const r = await explore(fragile as Program, { params: 3, schedules: 5 });
    expect(r.findings[0]?.kind).toBe('setup-exception');
    expect(r.findings[0]?.message).toBe('setup threw for params 3: no room for 3 threads');
  });

  it('do not happen for parameters the set-up accepts', async () => {
    expect((await explore(fragile as Program, { params: 2, schedules: 5 })).findings).toEqual([]);
  });
});
