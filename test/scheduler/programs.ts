// Small engine-level programs for the scheduler tests: shared cells and a
// test-only lock, written directly against Run so the engine is tested alone.
import type { Program, Run } from '../../src/engine/index.ts';

/** A lock for engine tests: acquire is a point enabled only while it is free. */
export class TestLock {
  owner: string | null = null;
  constructor(
    private readonly run: Run,
    readonly name: string,
  ) {}
  async lock(me: string): Promise<void> {
    await this.run.point({ kind: 'lock', obj: this.name, waitsOn: () => (this.owner === null ? null : [this.owner]) });
    this.owner = me;
  }
  async unlock(): Promise<void> {
    await this.run.point({ kind: 'unlock', obj: this.name });
    this.owner = null;
  }
}

/** Two threads each read then write a counter: without the lock an update is lost. */
export function lostUpdate(locked: boolean): Program {
  return {
    name: locked ? 'counter-locked' : 'counter-racy',
    setup(run) {
      const cell = { x: 0 };
      const l = new TestLock(run, 'L');
      for (const name of ['A', 'B']) {
        run.spawn(name, async () => {
          if (locked) await l.lock(name);
          await run.point({ kind: 'read', obj: 'x' });
          const v = cell.x;
          run.result(String(v));
          await run.point({ kind: 'write', obj: 'x' });
          cell.x = v + 1;
          if (locked) await l.unlock();
        });
      }
      run.onThreadExit(() => {
        if (run.threads.every((t) => t.state === 'done') && cell.x !== 2) {
          run.report({ kind: 'invariant:counter', message: `lost update: counter is ${cell.x}, expected 2` });
        }
      });
    },
  };
}

/** ABBA: T1 takes A then B, T2 takes B then A. `ordered` makes both take A first. */
export function abba(ordered: boolean): Program {
  return {
    name: ordered ? 'ab-ab' : 'ab-ba',
    setup(run) {
      const a = new TestLock(run, 'A');
      const b = new TestLock(run, 'B');
      run.spawn('T1', async () => {
        await a.lock('T1');
        await b.lock('T1');
        await b.unlock();
        await a.unlock();
      });
      run.spawn('T2', async () => {
        const [first, second] = ordered ? [a, b] : [b, a];
        await first.lock('T2');
        await second.lock('T2');
        await second.unlock();
        await first.unlock();
      });
    },
  };
}
