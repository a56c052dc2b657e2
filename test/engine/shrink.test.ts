import { describe, expect, it } from 'vitest';
import { explore, Exploration, renderTrace, shrinkFinding, type Finding, type Switch } from '../../src/engine/index.ts';
import { counter, tornRead } from '../fixtures/programs.ts';

const plain = (sw: readonly Switch[]) => sw.map(({ step, thread, op }) => ({ step, thread, op }));

/**
 * The minimal lost update, derived by hand: X reads (after its start), Y runs to
 * completion, X writes back the stale value. Exactly one preemption (X is switched
 * away from while it could write); 6 steps; X is either thread.
 */
const minimalLostUpdate = (x: string, y: string) => [
  { step: 0, thread: x, op: 'start' },
  { step: 2, thread: y, op: 'start' },
  { step: 5, thread: x, op: 'write' },
];

async function replayed(f: Finding) {
  return new Exploration(counter(false), { params: f.params }).replay(f.schedule, f.prelude);
}

describe('shrinking', () => {
  it('dfs: the lost update shrinks to the exact minimal schedule', async () => {
    const r = await explore(counter(false), { strategy: 'dfs' });
    const f = r.findings[0]!;
    expect(plain(f.schedule.switches)).toEqual(minimalLostUpdate('T0', 'T1'));
    expect(f.schedule.steps).toBe(6);
    expect((await replayed(f)).preemptions).toBe(1);
  });

  it('random: every seed shrinks to one of the two minimal schedules', async () => {
    const minimal = [minimalLostUpdate('T0', 'T1'), minimalLostUpdate('T1', 'T0')];
    let longer = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const r = await explore(counter(false), { strategy: 'random', seed, schedules: 1000 });
      const f = r.findings[0]!;
      expect(minimal).toContainEqual(plain(f.schedule.switches));
      expect(f.minimalSteps).toBe(6);
      const run = await replayed(f);
      expect(run.preemptions).toBe(1);
      // The finding carries the trace of the replay that produced it.
      expect(renderTrace(f.trace)).toBe(renderTrace(run.trace));
      const unshrunk = await explore(counter(false), { strategy: 'random', seed, schedules: 1000, shrink: false });
      expect(f.originalSteps).toBe(unshrunk.findings[0]!.schedule.steps);
      if (unshrunk.findings[0]!.schedule.switches.length > f.schedule.switches.length) longer++;
    }
    // Shrinking had work to do on some seeds.
    expect(longer).toBeGreaterThan(0);
  });

  it('shrinks the parameters when that removes threads', async () => {
    const p = counter(false);
    const r = await explore(p, { strategy: 'random', seed: 2, params: { threads: 4 } });
    const f = r.findings[0]!;
    expect(f.params).toEqual({ threads: 2 });
    expect(f.originalSteps).toBe(4 * 3);
    expect(f.minimalSteps).toBe(6);
    expect(new Set(f.trace.map((e) => e.thread))).toEqual(new Set(['T0', 'T1']));
  });

  it('the torn read keeps its two preemptions and loses everything else', async () => {
    const r = await explore(tornRead(false), { strategy: 'random', seed: 5, shrink: false });
    const s = await shrinkFinding(tornRead(false), r.findings[0]!);
    expect(s.runs).toBeGreaterThan(0);
    expect(plain(s.finding.schedule.switches)).toEqual([
      { step: 0, thread: 'A', op: 'start' },
      { step: 2, thread: 'B', op: 'start' },
      { step: 4, thread: 'A', op: 'write' },
      { step: 5, thread: 'B', op: 'read' },
    ]);
  });

  it('leaves a finding alone when it does not reproduce in isolation', async () => {
    const r = await explore(counter(false), { strategy: 'dfs', shrink: false });
    const f = r.findings[0]!;
    const other = { ...f, kind: 'invariant:other' };
    const s = await shrinkFinding(counter(false), other);
    expect(s.finding).toBe(other);
    expect(s.runs).toBe(1);
  });
});

describe('fastcheck', () => {
  it('records seed and path, and replays them to the same counterexample', async () => {
    const r = await explore(tornRead(false), { strategy: 'fastcheck', seed: 11, schedules: 5000 });
    const f = r.findings[0]!;
    const fc = f.details?.fastcheck as { seed: number; path: string };
    expect(typeof fc.seed).toBe('number');
    expect(fc.path).toMatch(/^\d+(:\d+)*$/);
    const again = await explore(tornRead(false), { strategy: 'fastcheck', seed: fc.seed, path: fc.path, schedules: 5000 });
    const g = again.findings[0]!;
    expect(g.details?.fastcheck).toEqual(fc);
    expect(plain(g.schedule.switches)).toEqual(plain(f.schedule.switches));
    expect(renderTrace(g.trace)).toBe(renderTrace(f.trace));
    // The replay reruns only the run that measures the span, then the counterexample.
    expect(again.stats.firstFindingAt).toBe(2);
  });

  it('shrinks schedule and parameters together', async () => {
    const r = await explore(counter(false), { strategy: 'fastcheck', seed: 4, schedules: 5000, shrink: false });
    const f = r.findings[0]!;
    expect(f.params).toEqual({ threads: 2 });
    expect((await replayed(f)).preemptions).toBe(1);
  });
});
