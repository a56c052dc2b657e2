import type { Run } from '../run.ts';
import { driverOver, type Driver, type RunScheduleOptions, type Strategy, type StrategyOptions } from '../strategy.ts';
import { fastcheckStrategy } from './fastcheck.ts';
import { pctStrategy } from './pct.ts';
import { posStrategy } from './pos.ts';
import { randomStrategy } from './random.ts';

/** A strategy of the portfolio: its name in findings and stats, and how many
 * consecutive schedules it runs per turn. */
export interface Member {
  readonly name: string;
  readonly strategy: Strategy;
  readonly turn: number;
}

/** pct at depths 1 to `depth`, random, POS and fastcheck, each seeded from `seed`.
 * pct at depth 3 (or the deepest below it) and POS get two schedules a turn, the
 * others one: the prior of the published comparisons (SCTBench: pct with d = 3 found
 * the most bugs; Yuan et al.: POS beats it on many), not a tuning to this suite. */
export function portfolioMembers(opts: StrategyOptions): Member[] {
  const depth = opts.depth ?? 3;
  const strong = Math.min(3, depth);
  const seeded = (name: string): StrategyOptions => ({ ...opts, seed: `portfolio:${name}:${opts.seed}`, path: undefined });
  const out: Member[] = [];
  for (let d = 1; d <= depth; d++) out.push({ name: `pct${d}`, strategy: pctStrategy({ ...seeded(`pct${d}`), depth: d }), turn: d === strong ? 2 : 1 });
  out.push({ name: 'random', strategy: randomStrategy(seeded('random')), turn: 1 });
  out.push({ name: 'pos', strategy: posStrategy(seeded('pos')), turn: 2 });
  out.push({ name: 'fastcheck', strategy: fastcheckStrategy(seeded('fastcheck')), turn: 1 });
  return out;
}

/** A promise that never settles: a member that asks for a schedule once the
 * exploration is over waits here for good, and the portfolio ends without it. */
const PARKED = new Promise<never>(() => {});

/**
 * Runs several strategies on one budget, in turns: member i runs its next schedule
 * when the previous member's finished, in a fixed rotation, so the whole sequence of
 * schedules is a function of the seed (each member draws from its own seeded
 * generator). One exploration holds them all: one budget, one lockdep graph, one
 * finding ends every member. The finding says which member found it
 * (`details.portfolio`, and `foundBy` in the stats); its schedule is recorded
 * semantically like any other, so its token replays without the portfolio. A
 * sampler: it never claims completeness.
 */
export function portfolioStrategy(opts: StrategyOptions, members: readonly Member[] = portfolioMembers(opts)): Strategy {
  return {
    name: 'portfolio',
    async explore(d: Driver) {
      const n = members.length;
      const schedules = new Array<number>(n).fill(0);
      const reported = new Array<boolean>(n).fill(false);
      const waiting: Array<(() => void) | null> = new Array(n).fill(null);
      /** Members still exploring (not returned, not parked). */
      const active = new Array<boolean>(n).fill(true);
      let holder = 0;
      let used = 0;
      let settle!: () => void;
      let fail!: (e: unknown) => void;
      const over = new Promise<void>((res, rej) => ((settle = res), (fail = rej)));

      /** The turn moves on to the next active member (after `turn` schedules). */
      const pass = () => {
        used = 0;
        if (!active.some((a) => a)) return settle();
        do holder = (holder + 1) % n;
        while (!active[holder]);
        const wake = waiting[holder];
        waiting[holder] = null;
        wake?.();
      };
      const leave = (i: number) => {
        active[i] = false;
        if (holder === i) pass();
        else if (!active.some((a) => a)) settle();
      };

      const driverOf = (i: number): Driver => driverOver(d, {
        // A member's own figures stay its own: none may claim completeness here.
        extra: {},
        exhausted: () => {},
        report: () => {},
        async runSchedule(chooser, params, o: RunScheduleOptions = {}): Promise<Run> {
          if (holder !== i) await new Promise<void>((r) => (waiting[i] = r));
          if (!d.more()) {
            leave(i);
            return PARKED;
          }
          const run = await d.runSchedule(chooser, params, { ...o, record: false });
          schedules[i]!++;
          // A run the member keeps to itself (fastcheck's shrink probes) counts only
          // as its first finding: the rest would repeat it.
          if (run.finding !== null && (o.record !== false || !reported[i])) {
            reported[i] = true;
            for (const f of run.findings) d.report({ ...f, params: f.params ?? params, details: { ...f.details, portfolio: members[i]!.name } });
            d.extra.foundBy ??= members[i]!.name;
          }
          if (++used >= members[i]!.turn) pass();
          return run;
        },
      });

      members.forEach((m, i) => {
        m.strategy.explore(driverOf(i)).then(() => leave(i), fail);
      });
      await over;
      d.extra.portfolio = members.map((m, i) => `${m.name} ${schedules[i]}`).join(', ');
    },
  };
}
