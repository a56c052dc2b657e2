// The one table `npm run bench` prints: a row per figure, grouped by section.
import { meetsExpect } from '../../src/engine/index.ts';
import { STEPS, THREADS, type Timed } from './engine.ts';
import { deterministic } from './finding.ts';
import { ISSUE_15_BASELINE } from './model.ts';
import type { Results } from './results.ts';
import { count, ms, si } from './stats.ts';

export const HEADER = ['section', 'subject', 'who', 'figure', 'goal'] as const;

const times = (x: { value: number; lowerBound: boolean }) => `${x.lowerBound ? '>= ' : ''}${x.value.toFixed(1)}x`;

/** 1234567 -> 1.23e6; exact below a million. */
const big = (digits: string) => (digits.length <= 6 ? digits : `${digits[0]}.${digits.slice(1, 3)}e${digits.length - 1}`);

export function rows(r: Results): string[][] {
  const out: string[][] = [];
  const e = r.engine;
  const load = `${THREADS} threads x ${STEPS} steps, counter`;
  // Figures measured before CPU time was (results.json from then) have none.
  const cpu = (t: Partial<Timed>) => (t.cpuSchedulesPerSec === undefined ? '' : `; per CPU second ${si(t.cpuSchedulesPerSec)} schedules/s`);
  const rounds = e.rounds === undefined ? '' : ` (median of ${e.rounds} alternating rounds, per CPU second)`;
  out.push(['engine', load, 'septcheck (random)', `${si(e.septcheck.schedulesPerSec)} schedules/s, ${si(e.septcheck.stepsPerSec)} steps/s${cpu(e.septcheck)}`, '']);
  out.push(['engine', load, 'fc.scheduler (waitAll)', `${si(e.fcScheduler.schedulesPerSec)} schedules/s, ${si(e.fcScheduler.stepsPerSec)} steps/s${cpu(e.fcScheduler)}`, '']);
  out.push(['engine', load, 'ratio', `${e.ratio.toFixed(2)}x${rounds}`, `>= 5x: ${e.ratio >= 5 ? 'met' : 'MISSED'}`]);
  if (e.bare !== undefined && e.ofFloor !== undefined) {
    out.push(['engine', load, 'bare hand-off (the floor)', `${si(e.bare.schedulesPerSec)} schedules/s, ${si(e.bare.stepsPerSec)} steps/s${cpu(e.bare)}`, '']);
    const wall = e.ofFloorWall === undefined ? '' : `; wall time ${(e.ofFloorWall * 100).toFixed(0)}%`;
    out.push(['engine', load, 'septcheck / floor', `${(e.ofFloor * 100).toFixed(0)}%${rounds}${wall}`, `>= 90%: ${e.ofFloor >= 0.9 ? 'met' : 'MISSED'}`]);
  }
  out.push(['engine', load, 'stress (no scheduler)', `${si(e.stress.schedulesPerSec)} runs/s, ${si(e.stress.stepsPerSec)} steps/s`, '']);

  for (const m of r.model ?? []) {
    const base = ISSUE_15_BASELINE[m.label];
    const goal = base === undefined ? '' : `>= 15x ${base}/s: ${m.schedulesPerSec / base >= 15 ? 'met' : 'MISSED'} (${(m.schedulesPerSec / base).toFixed(2)}x)`;
    out.push([
      'model',
      `${m.label}, ${m.threads} threads`,
      `random, ${count(m.schedules)} schedules`,
      `${si(m.schedulesPerSec)} schedules/s, ${si(m.stepsPerSec)} steps/s (${(m.steps / m.schedules).toFixed(1)} steps/schedule); per CPU second ${si(m.cpuSchedulesPerSec)}, ${si(m.cpuStepsPerSec)}`,
      goal,
    ]);
  }
  const p = r.profile;
  if (p !== undefined) {
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    out.push([
      'model',
      `${p.scenario}, CPU profile of ${count(p.schedules)} schedules`,
      'split',
      `GC ${pct(p.gc)}, hashing ${pct(p.hashing)}, invariants ${pct(p.invariants)}, ${p.setup === undefined ? '' : `set-up ${pct(p.setup)}, `}model ${pct(p.model)}, engine ${pct(p.engine)}, other ${pct(p.other)}`,
      `GC < 10%: ${p.gc < 0.1 ? 'met' : 'MISSED'}`,
    ]);
    out.push(['model', `${p.scenario}, CPU profile`, 'heaviest (self)', p.top.slice(0, 5).map((t) => `${t.fn} ${pct(t.share)}`).join('; '), '']);
  }

  for (const b of r.finding) {
    for (const x of b.rows) {
      const seeds = deterministic(x.who) ? 'deterministic, 1 run' : `${x.found}/${x.seeds} seeds`;
      const what = x.who === 'stress' || x.who === 'fc.scheduler' ? 'runs' : 'schedules';
      const figure = x.found === 0 ? `not found in ${count(r.settings.budget)} ${what} (${seeds})` : `${count(x.medianSchedules)} ${what}, ${ms(x.medianMs)} (${seeds})`;
      const odd = x.kinds.filter((k) => !meetsExpect(k, b.expect));
      out.push(['finding', b.bug, x.who, odd.length > 0 ? `${figure}; also ${odd.join(', ')}` : figure, '']);
    }
    const best = b.rows.find((x) => x.who === b.best)!;
    out.push(['finding', b.bug, `best: ${b.best}`, `${ms(best.medianMs)}; vs fc.scheduler ${times(b.vs['fc.scheduler'])}, vs stress ${times(b.vs.stress)} fewer`, `< 1 s, >= 10x: ${b.met ? 'met' : 'MISSED'}`]);
  }

  for (const x of r.exhaustive) {
    const bound = x.bound === 'none' ? 'no bound' : `${x.bound} preemptions`;
    const fig = (s: typeof x.dpor) => `${s.complete ? '' : '>= '}${count(s.schedules)} schedules, ${s.complete ? 'complete' : 'stopped at the cap'} in ${ms(s.ms)}`;
    const optimal = x.dpor.complete && x.dfs.complete && x.dpor.partialOrders !== undefined ? `; ${count(x.dpor.partialOrders)} partial orders, so no sound reduction beats ${(x.dfs.schedules / x.dpor.partialOrders).toFixed(1)}x here` : '';
    out.push(['exhaustive', `${x.scenario} (${bound})`, 'dpor', fig(x.dpor) + optimal, '']);
    out.push(['exhaustive', `${x.scenario} (${bound})`, 'dfs', fig(x.dfs), '']);
    const same = x.dpor.complete && x.dfs.complete ? (x.verdicts.dpor === x.verdicts.dfs ? 'same verdict' : 'VERDICTS DIFFER') : 'not both complete';
    const goal =
      x.bound === 'none'
        ? `>= 10x, < 60 s: ${x.reduction >= 10 && x.dpor.complete && x.dpor.ms < 60_000 ? 'met' : 'MISSED'}`
        : `>= 10x, same verdict: ${x.reduction >= 10 && same === 'same verdict' ? 'met' : 'MISSED'}`;
    out.push(['exhaustive', `${x.scenario} (${bound})`, 'dfs / dpor', `${x.dfs.complete ? '' : '>= '}${x.reduction.toFixed(1)}x; dpor ${x.verdicts.dpor}, dfs ${x.verdicts.dfs} (${same})`, goal]);
  }
  for (const i of r.interleavings) {
    const steps = Object.entries(i.maxThreadSteps).map(([t, n]) => `${t} ${n}`).join(', ');
    out.push(['exhaustive', i.scenario, 'all interleavings', `<= ${big(i.total)} (${i.sequences} step-sequence combinations; at most ${steps} steps)`, '']);
  }

  for (const p of r.scale.pool) {
    out.push(['scale', `sweep, ${p.scenarios} scenarios x ${r.settings.pool.schedules} ${r.settings.pool.strategy}`, `${p.workers} worker${p.workers > 1 ? 's' : ''}`, `${count(p.schedules)} schedules in ${p.seconds.toFixed(2)} s: ${p.schedulesPerSec.toFixed(0)}/s, ${p.cores.toFixed(2)} cores busy`, '']);
  }
  out.push(['scale', 'sweep', 'speedup', `${r.scale.speedup.toFixed(2)}x`, `>= 1.7x: ${r.scale.speedup >= 1.7 ? 'met' : 'MISSED'}`]);
  const h = r.scale.heap;
  out.push(['scale', `${h.guestTiB} TiB guest, ${h.mappings} 2M mappings`, 'heap', `${h.heapMiB.toFixed(1)} MiB (12 TiB PUNCH_HOLE: ${count(h.spteVisits)} SPTE visits)`, '']);
  for (const v of r.scale.visits) {
    out.push(['scale', `${v.scenario}, ${v.range}`, 'SPTE visits', `split ${count(v.splitSpteVisits)}, whole conversion ${count(v.spteVisits)}`, '']);
  }
  return out;
}
