import { existsSync, statSync } from 'node:fs';
import { scenarioFileHash, strategyNames } from '../../src/engine/index.ts';
import { checkFiles, type Checked } from '../lib/checks.ts';
import { discoverScenarios, writeOutput } from '../lib/discover.ts';
import { UsageError } from '../lib/errors.ts';
import { junit } from '../lib/junit.ts';
import { OutDir, type StoredSplit } from '../lib/outdir.ts';
import { partFindingLines, partsLine, SplitRun } from '../lib/parts.ts';
import { defaultWorkers, WorkerPool, type SweepTask, type TaskSource } from '../lib/pool.ts';
import { makeProgress } from '../lib/progress.ts';
import { replayCommand, type ScenarioRecord, type SweepSettings } from '../lib/record.ts';
import { unknownName } from '../lib/scenario-schema.ts';
import { parseShard, shardOfItem, takeShardIndexed, type Shard } from '../lib/shard.ts';
import { summary } from '../lib/summary.ts';
import { onInterrupt } from '../lib/interrupt.ts';
import { exitCode, EXIT } from '../lib/verdict.ts';

export interface SweepOptions extends SweepSettings {
  readonly workers?: number;
  readonly shard?: string;
  readonly json?: string;
  readonly junit?: string;
  readonly out?: string;
  readonly resume?: boolean;
  /** The live progress bar on stderr; default: when stderr is a terminal. */
  readonly progress?: boolean;
}

/** Seconds scenario code may run without reaching a scheduling point, by default. */
export const DEFAULT_STEP_TIME = 30;

/** What runs of one scenario in this sweep: the whole scenario (one task), or its
 * work items (--split). */
type Unit = { readonly kind: 'whole'; readonly task: SweepTask; started: boolean } | { readonly kind: 'split'; readonly run: SplitRun; readonly key: string; reported: boolean };

/** Runs scenario files and folders; resolves to the exit code (see verdict.ts). */
export async function sweep(paths: readonly string[], opts: SweepOptions): Promise<number> {
  if (opts.strategy !== undefined && !sweepStrategies().includes(opts.strategy)) {
    const why = opts.strategy === 'replay' ? "'replay' follows a regression's pinned schedule and is not a sweep strategy" : unknownName('strategy', opts.strategy, sweepStrategies());
    throw new UsageError(why);
  }
  if (opts.resume && opts.out === undefined) throw new UsageError('--resume needs --out DIR');
  if (opts.out !== undefined && existsSync(opts.out) && !statSync(opts.out).isDirectory()) {
    throw new UsageError(`--out ${opts.out}: not a directory`);
  }
  if (opts.json === '-' && opts.junit === '-') throw new UsageError("--json and --junit cannot both be '-' (standard output)");
  // With --json - or --junit -, standard output carries that alone; the rest goes to stderr.
  const human = opts.json === '-' || opts.junit === '-' ? process.stderr : process.stdout;
  const say = (line: string) => human.write(`${line}\n`);
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  const split = opts.split === true;
  const all = await discoverScenarios(paths);
  // Split, a shard takes items of every scenario (shardOfItem), so every file is
  // checked and planned; else it takes every n-th file.
  const files = takeShardIndexed(all, split ? undefined : shard);
  const settings: SweepSettings = {
    strategy: opts.strategy,
    schedules: opts.schedules,
    seed: opts.seed,
    preemptions: opts.preemptions,
    depth: opts.depth,
    time: opts.time,
    stepTime: opts.stepTime,
    ...(opts.keepGoing === true ? { keepGoing: true } : {}),
    ...(split ? { split: true } : {}),
  };
  const out = opts.out === undefined ? undefined : new OutDir(opts.out, opts.resume === true);
  const previous = opts.resume && out ? out.finished() : new Map<string, ScenarioRecord>();
  const previousParts = opts.resume && out ? out.splits() : new Map<string, StoredSplit>();
  const key = (file: string, hash: string) => JSON.stringify([file, hash, settings]);

  // Files are hashed here, never imported: scenario code runs only in workers.
  const records = new Map<string, ScenarioRecord>();
  const indexOf = new Map<string, number>();
  const keyOf = new Map<string, string>();
  const tasks: SweepTask[] = [];
  for (const { item, index } of files) {
    indexOf.set(item.file, index);
    const hash = await scenarioFileHash(item.abs);
    keyOf.set(item.file, key(item.file, hash));
    const prior = previous.get(key(item.file, hash));
    if (prior !== undefined) records.set(item.file, prior);
    else tasks.push({ kind: 'check', ...item, hash, settings, ...(split ? { split: true } : {}) });
  }

  const workers = opts.workers ?? defaultWorkers();
  // Split, one scenario may keep every worker busy.
  const pool = new WorkerPool(Math.max(1, split ? workers : Math.min(workers, tasks.length)), {
    time: opts.time,
    stepTime: opts.stepTime ?? DEFAULT_STEP_TIME,
  });
  // Ctrl-C (or a SIGTERM): stop the workers, keep what finished (already on disk in
  // --out), print it; a second signal exits at once.
  const interrupt = onInterrupt(() => pool.interrupt());
  /** Split scenarios whose parts this shard ran, left to merge to judge. */
  const partial: SplitRun[] = [];
  try {
    // Check every file before running any, so bad input stops the sweep up front.
    const checked: Map<string, Checked> = tasks.length === 0 ? new Map() : await checkFiles(pool, tasks);
    if (interrupt.signal === null) {
      out?.begin({ shard: shard ?? { index: 1, count: 1 }, files: all.map((f) => f.file), settings: { ...settings } });
      if (records.size > 0) {
        say(`resuming: ${records.size} scenario(s) already recorded in ${opts.out}, ${tasks.length} to run`);
        for (const r of records.values()) say(`skip ${r.file}: recorded (found ${r.found})`);
      }
      const units: Unit[] = [];
      const early: ScenarioRecord[] = [];
      for (const t of tasks) {
        const c = checked.get(t.file);
        if (c === undefined) continue;
        const index = indexOf.get(t.file)!;
        if (c.kind === 'record' || c.plan === undefined || c.plan.items.length === 1) {
          // Whole: split or not, a shard takes it as it takes a file.
          if (!mine(shard, index, 0)) continue;
          if (c.kind === 'record') early.push(c.record);
          else units.push({ kind: 'whole', task: { ...t, kind: 'run', info: c.info }, started: false });
          continue;
        }
        const plan = c.plan;
        const items = plan.items.map((_, k) => k);
        if (!items.some((k) => mine(shard, index, k))) continue;
        const k = keyOf.get(t.file)!;
        const known = previousParts.get(k);
        const stored = known !== undefined && JSON.stringify(known.plan) === JSON.stringify(plan) ? known : undefined;
        const base: SweepTask = { ...t, kind: 'run', info: c.info };
        const resolves = items.every((j) => mine(shard, index, j));
        const run = new SplitRun(base, plan, { mine: (j) => mine(shard, index, j), speculate: true, resolves }, stored?.parts.values() ?? []);
        if (stored === undefined) out?.recordPlan(k, c.info, plan);
        units.push({ kind: 'split', run, key: k, reported: false });
      }
      const progress = makeProgress({
        total: early.length + units.filter((u) => u.kind === 'whole' || u.run.resolves).length,
        bar: opts.progress ?? process.stderr.isTTY === true,
        out: human,
        running: () => pool.running(),
        schedules: () => pool.schedules(),
      });
      const finish = (rec: ScenarioRecord) => {
        // Durable first, printed second: what the user has seen is on disk.
        out?.record(key(rec.file, rec.hash), indexOf.get(rec.file) ?? -1, rec);
        records.set(rec.file, rec);
        // An error record's first finding is the error; a split scenario's keeps the
        // findings of its other parts after it.
        rec.findings.forEach((f, i) => progress.log(`${rec.verdict === 'error' && i === 0 ? 'error' : 'finding'} in ${rec.name}: ${f.kind}: ${f.message}\n  ${replayCommand(f)}`));
        progress.done(rec);
      };
      for (const rec of early) finish(rec);
      /** A split scenario that is done here: its record, or (a shard) its part. */
      const settle = (u: Extract<Unit, { kind: 'split' }>) => {
        if (u.reported || !u.run.finished()) return;
        u.reported = true;
        if (u.run.record !== null) return finish(u.run.record);
        const skipped = u.run.skipped();
        if (skipped.length > 0) out?.recordSkipped(u.key, skipped);
        partial.push(u.run);
        progress.log(partsLine(u.run));
      };
      for (const u of units) if (u.kind === 'split') settle(u);
      const byFile = new Map(units.map((u) => [u.kind === 'whole' ? u.task.file : u.run.base.file, u]));
      // Whole scenarios and the items of split ones, in the sweep's order: a worker
      // that frees up takes the first thing that can start.
      const source: TaskSource = {
        next() {
          for (const u of units) {
            if (u.kind === 'whole') {
              if (u.started) continue;
              u.started = true;
              return u.task;
            }
            const t = u.run.next();
            if (t !== null) return t;
          }
          return null;
        },
      };
      try {
        await pool.run(source, (task, r) => {
          const u = byFile.get(task.file)!;
          if (u.kind === 'whole') {
            if (r.kind !== 'record') throw new Error(`a sweep worker answered a run with '${r.kind}'`);
            return finish(r.record);
          }
          const p = u.run.done(task, r);
          if (p.part !== undefined) {
            out?.recordPart(u.key, p.part);
            if (!u.run.resolves) for (const line of partFindingLines(u.run, p.part)) progress.log(line);
          }
          settle(u);
        });
      } finally {
        progress.stop();
      }
    }
  } finally {
    await pool.close();
    interrupt.dispose();
  }

  if (interrupt.signal !== null) {
    // What finished, in the sweep's order; --out holds exactly these, so --resume
    // carries on with the rest.
    const done = files.map(({ item }) => records.get(item.file)).filter((r) => r !== undefined);
    say(`\ninterrupted (${interrupt.signal}): ${done.length} of ${files.length} scenarios finished${opts.out === undefined ? '' : `; continue with --resume --out ${opts.out}`}`);
    if (done.length > 0) say(`\n${summary(done)}`);
    return interrupt.exitCode;
  }
  // Split and sharded, a shard holds the scenarios it could judge; the others are
  // the merge's to judge.
  const ordered = files.map(({ item }) => records.get(item.file)).filter((r) => r !== undefined);
  say('\n' + summary(ordered));
  if (partial.length > 0) say(`${partial.length} split scenario${partial.length === 1 ? '' : 's'} ran in part here: septcheck merge judges ${partial.length === 1 ? 'it' : 'them'} from every shard's --out`);
  if (opts.json !== undefined) writeOutput(opts.json, JSON.stringify(ordered, null, 2) + '\n');
  if (opts.junit !== undefined) writeOutput(opts.junit, junit(ordered));
  const code = exitCode(ordered);
  // A part that could not be judged here leaves its scenario unjudged in the merge
  // too (unless a finding ahead of it ends its exploration).
  if (code !== EXIT.unjudged && partial.some((r) => [...r.parts.values()].some((p) => p.error !== undefined))) return EXIT.unjudged;
  return code;
}

/** Whether item `k` of the scenario at `index` is this shard's: every item without
 * a shard. */
function mine(shard: Shard | undefined, index: number, k: number): boolean {
  return shard === undefined || shardOfItem(index, k, shard.count) === shard.index;
}

/** Strategies a sweep may force on every scenario: all but `replay`, which only
 * follows a regression's pinned schedule (regressions choose it themselves). */
export function sweepStrategies(): string[] {
  return strategyNames.filter((n) => n !== 'replay');
}
