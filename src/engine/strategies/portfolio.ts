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
  /** Schedules per cycle of the rotation, early on (see `shareAt`). */
  readonly weight: number;
  /** Schedules per cycle once `LATE_TO` schedules have found nothing; `weight` if unset. */
  readonly late?: number;
  /** Whether its schedules may start from a kept prefix. A sampler that chooses step
   * by step (URW, POS, pct, random) can take over a run midway; fastcheck cannot:
   * fast-check maps each schedule it draws to one run, and its shrinking relies on
   * that. URW's replica of `urw` alone does not either (`portfolioMembers`). */
  readonly guided: boolean;
  /** Runs the first schedule (one that needs nothing observed), so that the others
   * start with a run's length and event counts to plan from. */
  readonly opens?: boolean;
  /** Half of a slot split in two (URW's): the slot's share goes to the `prefix` half
   * in the part `guidance` gives to kept prefixes, every one of its schedules starting
   * from one, and to the `scratch` half otherwise (`shareAt`). */
  readonly part?: 'scratch' | 'prefix';
}

/** The shares move from the early weights to the late ones between these two
 * counts of schedules run (linearly), see `shareAt`. */
export const LATE_FROM = 1024;
export const LATE_TO = 4096;

/** The portfolio starts following kept prefixes this many times later than `guided`
 * does (`guidance`): the shallow bugs its plain samplers find in hundreds of
 * schedules (URW on the 101-thread two-stage program) need them from scratch. */
export const GUIDANCE_DELAY = 4;

/** A member's weight after `total` schedules: its early `weight` until `LATE_FROM`,
 * its `late` one from `LATE_TO`, in between a linear blend; for half of a split slot
 * (`part`), its part of that. */
export function shareAt(m: Member, total: number): number {
  const g = m.part === undefined ? 0 : guidance(total / GUIDANCE_DELAY);
  const part = m.part === 'prefix' ? g : 1 - g;
  if (m.late === undefined || total <= LATE_FROM) return m.weight * part;
  const x = Math.min(1, (total - LATE_FROM) / (LATE_TO - LATE_FROM));
  return (m.weight + (m.late - m.weight) * x) * part;
}

/**
 * URW, POS, pct at depths 1 to `depth`, random and fastcheck, each seeded from the
 * seed, pct learning from every run (`obs`). The member named `urw` is `urw` alone
 * at the same seed, schedule for schedule: the same seed string, only its own runs'
 * observations, never a kept prefix; so the portfolio finds whatever URW alone finds
 * in k schedules by about k over URW's share (1/0.69 early), unless another member
 * finds it sooner. URW's slot is split (`part`): the part of it that `guidance`
 * gives to kept prefixes goes to `urw-prefix`, a second URW seeded apart that learns
 * from every run and starts each schedule from a kept prefix. The shares change with
 * the schedules run (`shareAt`):
 *
 * - early (the first `LATE_FROM` schedules), URW gets 10 of 14.5 (69%), POS 2, pct at
 *   the deepest depth (3 at most) 1, fastcheck and the next pct 1/2, every other pct
 *   and random 1/4. URW was the best single strategy, or within 1.3x of it, on every
 *   program measured (bench/README.md) but SafeStack: the work-stealing queues (3
 *   schedules), reorder with 5 to 20 threads and the 101-thread two-stage program
 *   (tens to a few hundred). A portfolio is only as quick as its best member's share
 *   lets it be, so on those it runs at about 1/0.69 of URW's schedules: URW's own
 *   sample, not one of another seed stream (which ran at 4.3x on the two-stage
 *   program with seeds 1 to 5).
 * - late (from `LATE_TO` on, after a linear blend), URW 8 of 16 (50%), pct at the
 *   deepest depth and POS 3 each (19%), the next pct 1, fastcheck 1/2, every other
 *   pct and random 1/4, URW's 8 split as above (3/4 of it from kept prefixes by
 *   then). A bug that a thousand schedules did not show is either a
 *   chain of unlikely steps, which the guided members (URW best) find by building on
 *   the corpus' kept prefixes (SafeStack), or one of small depth among many steps,
 *   pct's guarantee: there pct at depth 3 gets three times its early share, so a bug
 *   only it finds costs the portfolio about 5x pct's schedules, not 14x.
 *
 * POS opens: it needs nothing observed.
 */
export function portfolioMembers(opts: StrategyOptions, obs = new Observations()): Member[] {
  const depth = opts.depth ?? 3;
  const strong = Math.min(3, depth);
  const seeded = (name: string): StrategyOptions => ({ ...opts, seed: `portfolio:${name}:${opts.seed}`, path: undefined });
  const out: Member[] = [
    // URW alone at this seed, schedule for schedule: its seed, its own observations,
    // never a kept prefix; the schedules of URW's slot that start from one go to a
    // second URW, seeded apart, that learns from every run.
    { name: 'urw', strategy: urwStrategy({ ...opts, path: undefined }, new Observations()), weight: 10, late: 8, guided: false, part: 'scratch' },
    { name: 'urw-prefix', strategy: urwStrategy(seeded('urw'), obs), weight: 10, late: 8, guided: true, part: 'prefix' },
    { name: 'pos', strategy: posStrategy(seeded('pos')), weight: 2, late: 3, guided: true, opens: true },
  ];
  for (let d = depth; d >= 1; d--) {
    const [weight, late] = d === strong ? [1, 3] : d === strong - 1 ? [0.5, 1] : [0.25, 0.25];
    out.push({ name: `pct${d}`, strategy: pctStrategy({ ...seeded(`pct${d}`), depth: d }, obs), weight, late, guided: true });
  }
  out.push({ name: 'random', strategy: randomStrategy(seeded('random')), weight: 0.25, late: 0.25, guided: true });
  out.push({ name: 'fastcheck', strategy: fastcheckStrategy(seeded('fastcheck')), weight: 0.5, late: 0.5, guided: false });
  return out;
}

/** A promise that never settles: a member that asks for a schedule once the
 * exploration is over waits here for good, and the portfolio ends without it. */
const PARKED = new Promise<never>(() => {});

/**
 * Runs several strategies on one budget. The members are coroutines over one
 * exploration: a member's next schedule runs when the rotation comes to it, a
 * smooth weighted round robin (each schedule goes to the member furthest behind its
 * share; the shares move with the schedules run, `shareAt`), so the whole sequence
 * of schedules is a function of the seed (each member
 * and the corpus draw from their own seeded generators). One budget, one lockdep
 * graph, and the first finding ends every member. The finding says which member
 * found it (`details.portfolio`, and `foundBy` in the stats, with `foundFrom`:
 * `prefix` when the run followed a kept prefix, else `scratch`); its schedule is
 * recorded like any other, so its token replays without the portfolio.
 *
 * What the members learn is pooled: every run feeds the observations (run length
 * for pct, event counts for `urw-prefix`; `urw` keeps its own) and the corpus of
 * control states (`Corpus`); once `GUIDANCE_DELAY` x `WARM_UP` schedules found
 * nothing, a growing share of the guided members' schedules start from a kept prefix
 * (every one of `urw-prefix`'s). A sampler: it never claims completeness.
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
      const credit = members.map((m) => (m.opens === true ? members.reduce((a, x) => a + shareAt(x, 0), 0) : 0));
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
          const w = shareAt(members[i]!, total);
          sum += w;
          credit[i]! += w;
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
          const share = !m.guided || o.backend !== undefined ? 0 : m.part === 'prefix' ? 1 : guidance(total / GUIDANCE_DELAY);
          const g = corpus.guide(chooser, rng, share);
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
