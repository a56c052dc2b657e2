import seedrandom from 'seedrandom';
import type { Run } from '../run.ts';
import { driverOver, type Driver, type RunScheduleOptions, type Strategy, type StrategyOptions } from '../strategy.ts';
import { Corpus, guidance } from './corpus.ts';
import { fastcheckStrategy } from './fastcheck.ts';
import { Observations } from './observe.ts';
import { pctStrategy } from './pct.ts';
import { posStrategy } from './pos.ts';
import { randomStrategy } from './random.ts';
import { urwStrategy } from './urw.ts';

/** A strategy of the portfolio: its name in findings and stats, its share of the
 * schedules, and whether its schedules may start from the corpus' prefixes. */
export interface Member {
  readonly name: string;
  readonly strategy: Strategy;
  /** Schedules per cycle of the rotation. */
  readonly weight: number;
  /** A sampler that chooses step by step (URW, POS, pct, random) can take over a run
   * midway; fastcheck cannot: fast-check maps each schedule it draws to one run, and
   * its shrinking relies on that. */
  readonly guided: boolean;
  /** Runs the first schedule (one that needs nothing observed), so that the others
   * start with a run's length and event counts to plan from. */
  readonly opens?: boolean;
}

/**
 * URW, POS, pct at depths 1 to `depth`, random and fastcheck, each seeded from the
 * seed, URW and pct learning from every run (`obs`). Shares (at depth 3): URW 8 of
 * 14.5 (55%), POS 3, pct at the deepest depth (3 at most) and fastcheck 1, every
 * other pct and random 1/2. URW gets most: on every program measured
 * (bench/README.md) but SafeStack, which no plain sampler finds often, it was the
 * best sampler or within 1.3x of it, 4 to 6x better than POS on the work-stealing
 * queues; and a portfolio is only as quick as its best member's share lets it be.
 * POS is next (it samples partial orders evenly: best on reorder_N, tied on the torn
 * read); pct keeps its probabilistic guarantee for bugs of small depth, random is
 * the baseline, fastcheck draws the scenario's parameters. POS opens: it needs
 * nothing observed.
 */
export function portfolioMembers(opts: StrategyOptions, obs = new Observations()): Member[] {
  const depth = opts.depth ?? 3;
  const strong = Math.min(3, depth);
  const seeded = (name: string): StrategyOptions => ({ ...opts, seed: `portfolio:${name}:${opts.seed}`, path: undefined });
  const out: Member[] = [
    { name: 'urw', strategy: urwStrategy(seeded('urw'), obs), weight: 8, guided: true },
    { name: 'pos', strategy: posStrategy(seeded('pos')), weight: 3, guided: true, opens: true },
  ];
  for (let d = depth; d >= 1; d--) out.push({ name: `pct${d}`, strategy: pctStrategy({ ...seeded(`pct${d}`), depth: d }, obs), weight: d === strong ? 1 : 0.5, guided: true });
  out.push({ name: 'random', strategy: randomStrategy(seeded('random')), weight: 0.5, guided: true });
  out.push({ name: 'fastcheck', strategy: fastcheckStrategy(seeded('fastcheck')), weight: 1, guided: false });
  return out;
}

/** A promise that never settles: a member that asks for a schedule once the
 * exploration is over waits here for good, and the portfolio ends without it. */
const PARKED = new Promise<never>(() => {});

/**
 * Runs several strategies on one budget. The members are coroutines over one
 * exploration: a member's next schedule runs when the rotation comes to it, a
 * smooth weighted round robin (each schedule goes to the member furthest behind its
 * share), so the whole sequence of schedules is a function of the seed (each member
 * and the corpus draw from their own seeded generators). One budget, one lockdep
 * graph, and the first finding ends every member. The finding says which member
 * found it (`details.portfolio`, and `foundBy` in the stats, with `foundFrom`:
 * `prefix` when the run followed a kept prefix, else `scratch`); its schedule is
 * recorded like any other, so its token replays without the portfolio.
 *
 * What the members learn is pooled: every run feeds the observations (run length
 * for pct, event counts for URW) and the corpus of control states (`Corpus`); once
 * `WARM_UP` schedules found nothing, a growing share of the guided members'
 * schedules start from a kept prefix. A sampler: it never claims completeness.
 */
export function portfolioStrategy(opts: StrategyOptions, make: (obs: Observations) => readonly Member[] = (obs) => portfolioMembers(opts, obs)): Strategy {
  return {
    name: 'portfolio',
    async explore(d: Driver) {
      const obs = new Observations();
      const members = make(obs);
      const corpus = new Corpus();
      const rng = seedrandom.alea(`portfolio:corpus:${opts.seed}`);
      const n = members.length;
      const schedules = new Array<number>(n).fill(0);
      const reported = new Array<boolean>(n).fill(false);
      const waiting: Array<(() => void) | null> = new Array(n).fill(null);
      /** Members still exploring (not returned, not parked). */
      const active = new Array<boolean>(n).fill(true);
      /** Smooth weighted round robin: credit earned and not yet spent; the opener's
       * head start gives it the first schedule. */
      const credit = members.map((m) => (m.opens === true ? members.reduce((a, x) => a + x.weight, 0) : 0));
      let holder = -1;
      let total = 0;
      let settle!: () => void;
      let fail!: (e: unknown) => void;
      const over = new Promise<void>((res, rej) => ((settle = res), (fail = rej)));

      /** The next schedule goes to the active member furthest behind its share. */
      const pass = () => {
        let sum = 0;
        let best = -1;
        for (let i = 0; i < n; i++) {
          if (!active[i]) continue;
          sum += members[i]!.weight;
          credit[i]! += members[i]!.weight;
          if (best < 0 || credit[i]! > credit[best]!) best = i;
        }
        if (best < 0) return settle();
        credit[best]! -= sum;
        holder = best;
        const wake = waiting[best];
        waiting[best] = null;
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
          const m = members[i]!;
          const g = corpus.guide(chooser, rng, m.guided && o.backend === undefined ? guidance(total) : 0);
          const run = await d.runSchedule(g.chooser, params, { ...o, record: false });
          g.done(run);
          obs.record(run);
          total++;
          schedules[i]!++;
          // A run the member keeps to itself (fastcheck's shrink probes) counts only
          // as its first finding: the rest would repeat it.
          if (run.finding !== null && (o.record !== false || !reported[i])) {
            reported[i] = true;
            for (const f of run.findings) d.report({ ...f, params: f.params ?? params, details: { ...f.details, portfolio: m.name } });
            if (d.extra.foundBy === undefined) {
              d.extra.foundBy = m.name;
              // Whether the run started from a kept prefix or from scratch.
              d.extra.foundFrom = g.replayed ? 'prefix' : 'scratch';
            }
          }
          pass();
          return run;
        },
      });

      pass();
      members.forEach((m, i) => {
        m.strategy.explore(driverOf(i)).then(() => leave(i), fail);
      });
      await over;
      d.extra.portfolio = members.map((m, i) => `${m.name} ${schedules[i]}`).join(', ');
      d.extra.corpus = corpus.size;
      d.extra.controlStates = corpus.states;
    },
  };
}
