import { detailFinding } from './detail.ts';
import { Exploration } from './explore.ts';
import { faultsInjected } from './faults.ts';
import type { Program } from './program.ts';
import type { Run } from './run.ts';
import { followSchedule } from './schedule.ts';
import { safeJson } from './thrown.ts';
import { retrace } from './traced.ts';
import type { Finding, Schedule, Switch } from './types.ts';

export interface ShrinkOptions {
  readonly maxSteps?: number;
  /** Replays to spend at most; default 2000. */
  readonly maxRuns?: number;
  /** Candidates run past findings of other kinds, up to one of this kind. */
  readonly stopAt?: string;
}

export interface ShrinkResult {
  readonly finding: Finding;
  /** Replays spent. */
  readonly runs: number;
}

/** A replay that reproduced the finding, with what it is ranked by. */
interface Repro {
  readonly run: Run;
  readonly finding: Finding;
  readonly params: unknown;
  readonly prelude: readonly Schedule[];
}

/** A stretch of steps one thread runs without a switch. */
interface Block {
  t: string;
  n: number;
}

/**
 * Minimises a finding's schedule: first fewer preemptions, then fewer steps, then
 * fewer threads (by shrinking the parameters when the program has an arbitrary),
 * then the lexicographically smallest choice sequence, never longer than the
 * original. Candidates are replayed with the lenient `followSchedule` in a fresh
 * exploration (after the finding's prelude); one is kept when it raises a finding
 * of the same kind, is no longer than the original and ranks strictly better, so the
 * search ends. Candidates are not detailed (RunOptions.detailed). The result comes
 * from a traced, detailed replay of the best schedule: it carries that replay's
 * trace, events, stacks and state.
 */
export async function shrinkFinding(program: Program, original: Finding, opts: ShrinkOptions = {}): Promise<ShrinkResult> {
  const maxRuns = opts.maxRuns ?? 2000;
  const maxSteps = opts.maxSteps ?? 10_000;
  const tried = new Set<string>();
  let runs = 0;

  /** Replays `switches` leniently; the run, or null when the budget is spent or
   * the same candidate was tried before. */
  const replay = async (switches: readonly Switch[], params: unknown): Promise<{ run: Run; prelude: Schedule[] } | null> => {
    const key = `${safeJson(params)}|${switches.map((s) => `${s.step}:${s.thread}`).join(',')}`;
    if (tried.has(key) || runs >= maxRuns) return null;
    tried.add(key);
    runs++;
    const x = new Exploration(program, { maxSteps, params, stopAt: opts.stopAt });
    const prelude: Schedule[] = [];
    for (const p of original.prelude ?? []) prelude.push((await x.runSchedule(followSchedule(p, false), params, { record: false })).schedule());
    return { run: await x.runSchedule(followSchedule({ switches, steps: 0 }, false), params, { record: false }), prelude };
  };
  const reproduces = (r: { run: Run; prelude: Schedule[] } | null, params: unknown): Repro | null => {
    // A run holds its first finding, or with stopAt one of each kind.
    const f = r?.run.findings.find((x) => x.kind === original.kind) ?? null;
    return r !== null && f !== null ? { run: r.run, finding: f, params, prelude: r.prelude } : null;
  };
  // Fewer preemptions may take more steps; never more than the finding had, unless
  // the candidate needs fewer injected faults: a fault that no longer fails lets its
  // thread run on (a vCPU whose cache top-up now succeeds maps its page), and the
  // simpler finding is worth the steps. The bound then grows to the candidate's, so
  // every later candidate still ranks strictly better: the search ends.
  let limit = original.schedule.steps;
  const fits = (r: Repro | null, than: Repro): r is Repro => r !== null && (r.run.step <= limit || faultsInjected(r.run) < faultsInjected(than.run));
  const attempt = async (switches: readonly Switch[], params: unknown) => reproduces(await replay(switches, params), params);

  // Should the traced replay not raise it again, a detailed run gives its detail.
  const detailed = (f: Finding) => detailFinding(program, f, { maxSteps, keepGoing: opts.stopAt !== undefined });
  let best = await attempt(original.schedule.switches, original.params);
  if (best === null) return { finding: await detailed(original), runs };
  for (let improved = true; improved && runs < maxRuns; ) {
    improved = false;
    for (const blocks of candidates(blocksOf(best.run))) {
      const r = await attempt(switchesOf(blocks), best.params);
      if (fits(r, best) && rank(r, best) < 0) {
        best = r;
        limit = Math.max(limit, r.run.step);
        improved = true;
        break;
      }
      if (runs >= maxRuns) break;
    }
    if (improved) continue;
    for (const params of paramShrinks(program, best.params)) {
      const first = await replay(best.run.switches, params);
      if (first === null) continue;
      const names = first.run.threads.map((t) => t.name);
      let r = reproduces(first, params);
      for (const variant of r === null ? forFewerThreads(blocksOf(best.run), names) : []) {
        if ((r = await attempt(variant, params)) !== null) break;
      }
      // Parameters rank by preemptions, steps and threads only: choice sequences of
      // different thread sets do not compare.
      if (fits(r, best) && rank(r, best, false) <= 0) {
        best = r;
        limit = Math.max(limit, r.run.step);
        improved = true;
        break;
      }
      if (runs >= maxRuns) break;
    }
  }
  // Once more, traced, for the reader of the finding.
  const traced = await retrace(program, { maxSteps, params: best.params, stopAt: opts.stopAt }, best.run.schedule(), best.prelude);
  const f = traced.findings.find((x) => x.kind === original.kind);
  if (f !== undefined) best = { ...best, run: traced, finding: f };
  return { finding: await detailed(finalFinding(original, best)), runs };
}

/** Details that say how the original was found (fast-check's seed and path, the
 * portfolio's member); a replay cannot know them, so the shrunk finding keeps them. */
const PROVENANCE = ['fastcheck', 'portfolio'] as const;

function finalFinding(original: Finding, best: Repro): Finding {
  const f = best.finding;
  let details = f.details;
  for (const key of PROVENANCE) {
    const v = original.details?.[key];
    if (v !== undefined && details?.[key] === undefined) details = { ...details, [key]: v };
  }
  const prelude = f.prelude ?? (original.prelude !== undefined ? best.prelude : undefined);
  return {
    ...f,
    ...(details !== undefined ? { details } : {}),
    ...(prelude !== undefined ? { prelude } : {}),
    params: best.params,
    originalSteps: original.schedule.steps,
    minimalSteps: f.schedule.steps,
  };
}

/** Negative when `a` ranks better (smaller) than `b`. Injected faults count first:
 * a finding that needs fewer is simpler, whatever it costs in preemptions. */
function rank(a: Repro, b: Repro, bySequence = true): number {
  const d =
    faultsInjected(a.run) - faultsInjected(b.run) ||
    a.run.preemptions - b.run.preemptions ||
    a.run.step - b.run.step ||
    a.run.threads.length - b.run.threads.length;
  if (d !== 0 || !bySequence) return d;
  const x = a.run.choices;
  const y = b.run.choices;
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function blocksOf(run: Run): Block[] {
  const out: Block[] = [];
  for (let i = 0; i < run.step; i++) {
    const t = run.threads[run.choices[i]!]!.name;
    const last = out[out.length - 1];
    if (last !== undefined && last.t === t) last.n++;
    else out.push({ t, n: 1 });
  }
  return out;
}

/** Switches that replay `blocks` (lenient replay ignores the operation). */
function switchesOf(blocks: readonly Block[]): Switch[] {
  const out: Switch[] = [];
  let step = 0;
  let cur: string | null = null;
  for (const b of blocks) {
    if (b.n <= 0) continue;
    if (b.t !== cur) out.push({ step, thread: b.t, op: '' });
    cur = b.t;
    step += b.n;
  }
  return out;
}

/** Local edits of a block list, the ones most likely to drop a preemption first. */
function* candidates(bs: readonly Block[]): Generator<Block[]> {
  const same = (i: number, dir: 1 | -1): number => {
    for (let j = i + dir; j >= 0 && j < bs.length; j += dir) if (bs[j]!.t === bs[i]!.t) return j;
    return -1;
  };
  // Each edit changes a copy of the blocks around block i, or returns false.
  const edits: Array<(c: Block[], i: number) => boolean> = [
    // Drop the switch into block i: the previous thread runs on instead.
    (c, i) => i > 0 && ((c[i]!.t = c[i - 1]!.t), true),
    // Defer block i to the thread's next block (or past the end).
    (c, i) => {
      const j = same(i, 1);
      if (j >= 0) c[j]!.n += c[i]!.n;
      c[i]!.n = 0;
      return true;
    },
    // Advance block i into the thread's previous block.
    (c, i) => {
      const j = same(i, -1);
      if (j < 0) return false;
      c[j]!.n += c[i]!.n;
      c[i]!.n = 0;
      return true;
    },
    // Switch into block i one step later, or one earlier.
    (c, i) => i > 0 && c[i]!.n > 1 && (c[i - 1]!.n++, c[i]!.n--, true),
    (c, i) => i > 0 && c[i - 1]!.n > 1 && (c[i - 1]!.n--, c[i]!.n++, true),
    // Swap with the next block.
    (c, i) => i + 1 < c.length && (([c[i], c[i + 1]] = [c[i + 1]!, c[i]!]), true),
  ];
  for (const edit of edits) {
    for (let i = 0; i < bs.length; i++) {
      const c = bs.map((b) => ({ ...b }));
      if (edit(c, i)) yield c;
    }
  }
}

/**
 * The schedule adapted to parameters that spawn only the threads `names`: each
 * thread the schedule names but `names` lacks hands its part to a thread the
 * schedule does not use (scenario threads are usually alike), first as it is, then
 * with each thread's part dropped in turn to free a name.
 */
function* forFewerThreads(bs: readonly Block[], names: readonly string[]): Generator<Switch[]> {
  const rename = (kept: readonly Block[]): Switch[] | null => {
    const used = [...new Set(kept.map((b) => b.t))];
    const missing = used.filter((t) => !names.includes(t));
    const spare = names.filter((t) => !used.includes(t));
    if (missing.length === 0 || missing.length > spare.length) return null;
    const to = new Map(missing.map((t, i) => [t, spare[i]!]));
    return switchesOf(kept.map((b) => ({ t: to.get(b.t) ?? b.t, n: b.n })));
  };
  for (const drop of [null, ...new Set(bs.map((b) => b.t))]) {
    const sw = rename(bs.filter((b) => b.t !== drop));
    if (sw !== null) yield sw;
  }
}

/** Smaller parameters from the program's arbitrary, when it can shrink a bare value. */
function* paramShrinks(program: Program, params: unknown): Generator<unknown> {
  const arb = program.paramsArbitrary;
  if (arb === undefined || params === undefined || !arb.canShrinkWithoutContext(params)) return;
  let n = 0;
  for (const v of arb.shrink(params, undefined)) {
    if (n++ >= 64) return;
    yield v.value;
  }
}
