// Exhaustive exploration of the fixed twins: how many schedules dpor needs to prove
// one clean, against plain dfs and against every interleaving there is.
import { explore, opLabel, type LoadedScenario, type Run } from '../../src/engine/index.ts';
import { observed } from './observe.ts';

export interface ExhaustiveSettings {
  /** Wall-time cap of one exploration, in ms (kept outside the engine). */
  readonly capMs: number;
}

export interface Explored {
  readonly schedules: number;
  readonly ms: number;
  readonly complete: boolean;
  readonly findings: number;
  /** proved / sampled / found, and the finding kinds. */
  readonly verdict: string;
  /** dpor: the partial orders its schedules fell into. Complete, that is every
   * partial order within the bound: no sound reduction can run fewer schedules. */
  readonly partialOrders?: number;
}

/** A twin to explore, with parameters other than its defaults (e.g. a third thread). */
export interface Twin {
  readonly l: LoadedScenario;
  readonly label?: string;
  readonly params?: unknown;
}

export interface ExhaustiveRow {
  readonly scenario: string;
  /** The verdict class of each (equal when both completed: the reduction hid nothing). */
  readonly verdicts: { readonly dpor: string; readonly dfs: string };
  /** Preemption bound, or 'none'. */
  readonly bound: number | 'none';
  readonly dpor: Explored;
  readonly dfs: Explored;
  /** dfs schedules over dpor's; a lower bound when dfs did not finish. */
  readonly reduction: number;
}

export interface Interleavings {
  readonly scenario: string;
  /** Schedules of the complete dpor exploration the figures come from. */
  readonly dporSchedules: number;
  /** Distinct combinations of per-thread step sequences among them. Every execution
   * is equivalent to one dpor ran, and equivalent executions give each thread the
   * same steps, so these are all the combinations there are. */
  readonly sequences: number;
  /** The most steps each thread took. */
  readonly maxThreadSteps: Record<string, number>;
  /** The sum over the combinations of the multinomial (sum of steps)! /
   * prod(steps!), in decimal: an upper bound on the schedules, since a step that
   * blocks cannot take every position. */
  readonly total: string;
}

async function run(l: LoadedScenario, strategy: 'dpor' | 'dfs', bound: number | undefined, capMs: number, params?: unknown): Promise<Explored> {
  const t0 = performance.now();
  const r = await explore(l.scenario, {
    strategy,
    params,
    preemptions: bound,
    schedules: Number.MAX_SAFE_INTEGER,
    stopOnFirst: false,
    shrink: false,
    maxSteps: l.scenario.bounds?.maxSteps,
    stopWhen: () => performance.now() - t0 > capMs,
  });
  const kinds = [...new Set(r.findings.map((f) => f.kind))].sort();
  const verdict = r.verdict.class === 'found' ? `found ${kinds.join(', ')}` : r.verdict.class;
  const classes = r.stats.equivalenceClasses;
  return {
    schedules: r.stats.schedules,
    ms: performance.now() - t0,
    complete: r.stats.complete !== undefined,
    findings: r.findings.length,
    verdict,
    ...(typeof classes === 'number' ? { partialOrders: classes } : {}),
  };
}

export async function benchExhaustive(twins: readonly Twin[], s: ExhaustiveSettings, progress: (line: string) => void): Promise<ExhaustiveRow[]> {
  const out: ExhaustiveRow[] = [];
  for (const { l, label, params } of twins) {
    const name = label ?? l.scenario.name;
    for (const bound of [l.scenario.bounds?.preemptions, undefined]) {
      const dpor = await run(l, 'dpor', bound, s.capMs, params);
      const dfs = await run(l, 'dfs', bound, s.capMs, params);
      out.push({ scenario: name, bound: bound ?? 'none', dpor, dfs, verdicts: { dpor: dpor.verdict, dfs: dfs.verdict }, reduction: dfs.schedules / dpor.schedules });
      progress(`exhaustive: ${name}, bound ${bound ?? 'none'} done`);
    }
  }
  return out;
}

/** Every interleaving there is, bounded from the per-thread step sequences of a
 * complete unbounded dpor exploration. */
export async function interleavings(l: LoadedScenario, capMs: number): Promise<Interleavings | null> {
  const combos = new Map<string, number[]>();
  const max: Record<string, number> = {};
  const program = observed(l.scenario, (run: Run) => {
    const seqs = run.threads.map((t) => ({ name: t.name, ops: [] as string[] }));
    for (let i = 0; i < run.step; i++) seqs[run.choices[i]!]!.ops.push(opLabel({ op: run.ops[i]!.kind, obj: run.ops[i]!.obj }));
    combos.set(JSON.stringify(seqs), seqs.map((s) => s.ops.length));
    for (const s of seqs) max[s.name] = Math.max(max[s.name] ?? 0, s.ops.length);
  });
  const t0 = performance.now();
  const r = await explore(program, {
    strategy: 'dpor',
    schedules: Number.MAX_SAFE_INTEGER,
    stopOnFirst: false,
    shrink: false,
    maxSteps: l.scenario.bounds?.maxSteps,
    stopWhen: () => performance.now() - t0 > capMs,
  });
  // Without a complete unbounded exploration there is no bound to give.
  if (r.stats.complete !== 'yes') return null;
  let total = 0n;
  for (const steps of combos.values()) total += multinomial(steps);
  return { scenario: l.scenario.name, dporSchedules: r.stats.schedules, sequences: combos.size, maxThreadSteps: max, total: total.toString() };
}

function multinomial(parts: readonly number[]): bigint {
  const fact = (n: number): bigint => {
    let f = 1n;
    for (let i = 2n; i <= BigInt(n); i++) f *= i;
    return f;
  };
  return parts.reduce((acc, k) => acc / fact(k), fact(parts.reduce((a, b) => a + b, 0)));
}
