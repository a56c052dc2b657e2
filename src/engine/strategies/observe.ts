import type { Run } from '../run.ts';

/**
 * What earlier schedules of one exploration showed about the program, for the
 * samplers that plan a schedule from it: the longest run (pct's k) and how many
 * steps each thread takes, its children's included (URW's event counts). The
 * portfolio keeps one for all its members, so that a member learns from the others'
 * runs as well as its own. Observations only steer which schedules run, never how
 * one is recorded: a finding replays from its schedule alone.
 */
export class Observations {
  /** Steps of the longest run so far. */
  steps = 0;
  /** By thread name: the most steps it took in one run, plus those of the threads it
   * spawned (their events are still to come while it has not spawned them). */
  private readonly events = new Map<string, number>();
  /** The fewest events of any thread seen: the guess for a thread never seen. */
  private least = 0;

  /** Events of the thread named `name`, or the guess for a thread never seen (0
   * while nothing has been recorded). */
  eventsOf(name: string): number {
    return this.events.get(name) ?? this.least;
  }

  /** Takes in a finished run. A run cut short counts too: its figures are lower
   * bounds, and only the largest are kept. */
  record(run: Run): void {
    if (run.step > this.steps) this.steps = run.step;
    const threads = run.threads;
    const total = new Array<number>(threads.length).fill(0);
    for (const c of run.choices) total[c]!++;
    // A child is made after its parent: adding each thread's total to its parent's,
    // last-made first, carries grandchildren up to their grandparents.
    for (let id = threads.length - 1; id >= 0; id--) {
      const p = threads[id]!.parent;
      if (p !== null) total[p.id]! += total[id]!;
    }
    let least = Infinity;
    for (const t of threads) {
      const e = Math.max(total[t.id]!, this.events.get(t.name) ?? 0);
      this.events.set(t.name, e);
      least = Math.min(least, e);
    }
    if (Number.isFinite(least) && least >= 1 && (this.least === 0 || least < this.least)) this.least = least;
  }
}
