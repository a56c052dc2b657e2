import { existsSync, statSync } from 'node:fs';
import { scenarioFileHash, strategyNames } from '../../src/engine/index.ts';
import { checkFiles } from '../lib/checks.ts';
import { discoverScenarios, writeOutput } from '../lib/discover.ts';
import { UsageError } from '../lib/errors.ts';
import { junit } from '../lib/junit.ts';
import { OutDir } from '../lib/outdir.ts';
import { defaultWorkers, WorkerPool, type SweepTask } from '../lib/pool.ts';
import { makeProgress } from '../lib/progress.ts';
import { replayCommand, type ScenarioRecord, type SweepSettings } from '../lib/record.ts';
import { unknownName } from '../lib/scenario-schema.ts';
import { parseShard, takeShardIndexed } from '../lib/shard.ts';
import { summary } from '../lib/summary.ts';
import { onInterrupt } from '../lib/interrupt.ts';
import { exitCode } from '../lib/verdict.ts';

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
  const all = await discoverScenarios(paths);
  const files = takeShardIndexed(all, shard);
  const settings: SweepSettings = {
    strategy: opts.strategy,
    schedules: opts.schedules,
    seed: opts.seed,
    preemptions: opts.preemptions,
    depth: opts.depth,
    time: opts.time,
    stepTime: opts.stepTime,
    ...(opts.keepGoing === true ? { keepGoing: true } : {}),
  };
  const out = opts.out === undefined ? undefined : new OutDir(opts.out, opts.resume === true);
  const previous = opts.resume && out ? out.finished() : new Map<string, ScenarioRecord>();
  const key = (file: string, hash: string) => JSON.stringify([file, hash, settings]);

  // Files are hashed here, never imported: scenario code runs only in workers.
  const records = new Map<string, ScenarioRecord>();
  const indexOf = new Map<string, number>();
  const tasks: SweepTask[] = [];
  for (const { item, index } of files) {
    indexOf.set(item.file, index);
    const hash = await scenarioFileHash(item.abs);
    const prior = previous.get(key(item.file, hash));
    if (prior !== undefined) records.set(item.file, prior);
    else tasks.push({ kind: 'check', ...item, hash, settings });
  }

  const pool = new WorkerPool(Math.max(1, Math.min(opts.workers ?? defaultWorkers(), tasks.length)), {
    time: opts.time,
    stepTime: opts.stepTime ?? DEFAULT_STEP_TIME,
  });
  // Ctrl-C (or a SIGTERM): stop the workers, keep what finished (already on disk in
  // --out), print it; a second signal exits at once.
  const interrupt = onInterrupt(() => pool.interrupt());
  try {
    // Check every file before running any, so bad input stops the sweep up front.
    const checked = tasks.length === 0 ? new Map() : await checkFiles(pool, tasks);
    if (interrupt.signal === null) {
      out?.begin({ shard: shard ?? { index: 1, count: 1 }, files: all.map((f) => f.file), settings: { ...settings } });
      if (records.size > 0) {
        say(`resuming: ${records.size} scenario(s) already recorded in ${opts.out}, ${tasks.length} to run`);
        for (const r of records.values()) say(`skip ${r.file}: recorded (found ${r.found})`);
      }
      const progress = makeProgress({
        total: tasks.length,
        bar: opts.progress ?? process.stderr.isTTY === true,
        out: human,
        running: () => pool.running(),
        schedules: () => pool.schedules(),
      });
      const finish = (rec: ScenarioRecord) => {
        // Durable first, printed second: what the user has seen is on disk.
        out?.record(key(rec.file, rec.hash), indexOf.get(rec.file) ?? -1, rec);
        records.set(rec.file, rec);
        const what = rec.verdict === 'error' ? 'error' : 'finding';
        for (const f of rec.findings) progress.log(`${what} in ${rec.name}: ${f.kind}: ${f.message}\n  ${replayCommand(f)}`);
        progress.done(rec);
      };
      const runs: SweepTask[] = [];
      for (const t of tasks) {
        const c = checked.get(t.file)!;
        if (c.kind === 'record') finish(c.record);
        else runs.push({ ...t, kind: 'run', info: c.info });
      }
      try {
        await pool.run(runs, (_, r) => {
          if (r.kind !== 'record') throw new Error(`a sweep worker answered a run with '${r.kind}'`);
          finish(r.record);
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
  const ordered = files.map(({ item }) => records.get(item.file)!);
  say('\n' + summary(ordered));
  if (opts.json !== undefined) writeOutput(opts.json, JSON.stringify(ordered, null, 2) + '\n');
  if (opts.junit !== undefined) writeOutput(opts.junit, junit(ordered));
  return exitCode(ordered);
}

/** Strategies a sweep may force on every scenario: all but `replay`, which only
 * follows a regression's pinned schedule (regressions choose it themselves). */
export function sweepStrategies(): string[] {
  return strategyNames.filter((n) => n !== 'replay');
}
