import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { scenarioFileHash, strategyNames } from '../../src/engine/index.ts';
import { checkFiles } from '../lib/checks.ts';
import { discoverScenarios, tokenRootOf, writeOutput } from '../lib/discover.ts';
import { UsageError } from '../lib/errors.ts';
import { junit } from '../lib/junit.ts';
import { OutDir } from '../lib/outdir.ts';
import { WorkerPool, type SweepTask } from '../lib/pool.ts';
import { makeProgress } from '../lib/progress.ts';
import { replayCommand, type ScenarioRecord, type SweepSettings } from '../lib/record.ts';
import { parseShard, takeShardIndexed } from '../lib/shard.ts';
import { summary } from '../lib/summary.ts';
import { exitCode } from '../lib/verdict.ts';

export interface SweepOptions extends SweepSettings {
  readonly workers?: number;
  readonly shard?: string;
  readonly json?: string;
  readonly junit?: string;
  readonly out?: string;
  readonly resume?: boolean;
  readonly tty?: boolean;
}

/** Seconds scenario code may run without reaching a scheduling point, by default. */
export const DEFAULT_STEP_TIME = 30;

/** Runs scenario files and folders; resolves to the exit code (see verdict.ts). */
export async function sweep(paths: readonly string[], opts: SweepOptions): Promise<number> {
  if (opts.strategy !== undefined && !sweepStrategies().includes(opts.strategy)) {
    const why = opts.strategy === 'replay' ? "'replay' follows a regression's pinned schedule and is not a sweep strategy" : `unknown strategy '${opts.strategy}'`;
    throw new UsageError(`${why} (expected one of: ${sweepStrategies().join(', ')})`);
  }
  if (opts.resume && opts.out === undefined) throw new UsageError('--resume needs --out DIR');
  if (opts.out !== undefined && existsSync(opts.out) && !statSync(opts.out).isDirectory()) {
    throw new UsageError(`--out ${opts.out}: not a directory`);
  }
  const roots = paths.length > 0 ? paths : ['scenarios'];
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  const all = await discoverScenarios(roots);
  const files = takeShardIndexed(all, shard);
  const settings: SweepSettings = {
    strategy: opts.strategy,
    schedules: opts.schedules,
    seed: opts.seed,
    preemptions: opts.preemptions,
    depth: opts.depth,
    time: opts.time,
    stepTime: opts.stepTime,
  };
  const out = opts.out === undefined ? undefined : new OutDir(opts.out, opts.resume === true);
  const previous = opts.resume && out ? out.finished() : new Map<string, ScenarioRecord>();
  const key = (file: string, hash: string) => JSON.stringify([file, hash, settings]);

  // Files are hashed here, never imported: scenario code runs only in workers.
  const records = new Map<string, ScenarioRecord>();
  const indexOf = new Map<string, number>();
  const tasks: SweepTask[] = [];
  for (const { item: file, index } of files) {
    indexOf.set(file, index);
    const hash = await scenarioFileHash(file);
    const prior = previous.get(key(file, hash));
    if (prior !== undefined) records.set(file, prior);
    else tasks.push({ kind: 'check', file, hash, settings, tokenRoot: tokenRootOf(file, roots) });
  }

  const pool = new WorkerPool(Math.max(1, Math.min(opts.workers ?? availableParallelism(), tasks.length)), {
    time: opts.time,
    stepTime: opts.stepTime ?? DEFAULT_STEP_TIME,
  });
  try {
    // Check every file before running any, so bad input stops the sweep up front.
    const checked = tasks.length === 0 ? new Map() : await checkFiles(pool, tasks);
    out?.begin({ shard: shard ?? { index: 1, count: 1 }, files: all, settings: { ...settings } });
    if (records.size > 0) {
      console.log(`resuming: ${records.size} scenario(s) already recorded in ${opts.out}, ${tasks.length} to run`);
      for (const r of records.values()) console.log(`skip ${r.file}: recorded (found ${r.found})`);
    }
    const progress = makeProgress(tasks.length, opts.tty ?? process.stdout.isTTY === true);
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
    await pool.run(runs, (_, r) => {
      if (r.kind !== 'record') throw new Error(`a sweep worker answered a run with '${r.kind}'`);
      finish(r.record);
    });
    progress.stop();
  } finally {
    await pool.close();
  }

  const ordered = files.map(({ item }) => records.get(item)!);
  console.log('\n' + summary(ordered));
  if (opts.json !== undefined) writeOutput(opts.json, JSON.stringify(ordered, null, 2) + '\n');
  if (opts.junit !== undefined) writeOutput(opts.junit, junit(ordered));
  return exitCode(ordered);
}

/** Strategies a sweep may force on every scenario: all but `replay`, which only
 * follows a regression's pinned schedule (regressions choose it themselves). */
export function sweepStrategies(): string[] {
  return strategyNames.filter((n) => n !== 'replay');
}
