// What a chooser sees, and the preemptions a run counts, against the plain method:
// the enabled threads are refilled in one array per run, and whether the owner is
// among them is noted while filling it; a recount from copies taken at every choice
// point must agree, over schedules where threads wait, finish early and are free.
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { Run, type ChoicePoint, type SimThread } from '../../src/engine/index.ts';

interface Seen {
  readonly step: number;
  readonly enabled: readonly number[];
}

/** Two threads contend for a lock (a wait while the other holds it), one finishes
 * after a single step, one is free (a fault injector's kind of thread). */
function setup(run: Run): void {
  let holder: string | null = null;
  const locker = (name: string, rounds: number) =>
    run.spawn(name, async () => {
      for (let i = 0; i < rounds; i++) {
        await run.point({ kind: 'lock', obj: 'l', waitsOn: () => (holder === null || holder === name ? null : [holder]) });
        holder = name;
        await run.point({ kind: 'work', obj: 'x' });
        await run.point({ kind: 'unlock', obj: 'l' });
        holder = null;
      }
    });
  locker('A', 3);
  locker('B', 2);
  run.spawn('C', async () => {
    await run.point({ kind: 'once', obj: 'y' });
  });
  run.spawn('F', () => undefined, { free: true });
}

async function runOnce(seed: number): Promise<{ run: Run; seen: Seen[]; stale: string[] }> {
  const rng = seedrandom.alea(`choice-point:${seed}`);
  const seen: Seen[] = [];
  const stale: string[] = [];
  const run = new Run(
    (cp: ChoicePoint) => {
      const ids = cp.enabled.map((t: SimThread) => t.id);
      // Every thread offered can run now, and none twice: nothing left over from an
      // earlier step in the reused array.
      if (new Set(ids).size !== ids.length || cp.enabled.some((t) => t.state !== 'ready')) stale.push(`step ${cp.step}: ${ids.join(',')}`);
      seen.push({ step: cp.step, enabled: ids });
      return Math.floor(rng() * cp.enabled.length);
    },
    { maxSteps: 1000, shared: new Map() },
  );
  setup(run);
  await run.start();
  return { run, seen, stale };
}

/** Preemptions recounted from the choices and the copies: a step of a thread that
 * is not free, away from the owner while the owner was among those enabled. */
function recount(run: Run, seen: readonly Seen[]): number {
  const at = new Map(seen.map((s) => [s.step, s.enabled]));
  let owner: SimThread | null = null;
  let n = 0;
  for (let s = 0; s < run.choices.length; s++) {
    const t = run.threads[run.choices[s]!]!;
    if (t.free) continue;
    const enabled = at.get(s) ?? [t.id]; // no choice point: it was the only one
    if (owner !== null && t !== owner && enabled.includes(owner.id)) n++;
    owner = t;
  }
  return n;
}

describe('choice points', () => {
  it('offer only runnable threads, and the preemptions agree with a recount', async () => {
    let preempted = 0;
    for (let seed = 0; seed < 200; seed++) {
      const { run, seen, stale } = await runOnce(seed);
      expect(run.finding).toBeNull();
      expect(stale).toEqual([]);
      expect(run.preemptions).toBe(recount(run, seen));
      preempted += run.preemptions;
    }
    // The schedules do preempt (the comparison is not of zeros).
    expect(preempted).toBeGreaterThan(0);
  });
});
