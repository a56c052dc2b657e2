import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { strategyNames } from '../../src/engine/index.ts';
import { discoverScenarios, writeOutput } from '../lib/discover.ts';
import { UsageError } from '../lib/errors.ts';
import { junit } from '../lib/junit.ts';
import { OutDir } from '../lib/outdir.ts';
import { makeProgress } from '../lib/progress.ts';
import { replayCommand, type ScenarioRecord, type SweepSettings } from '../lib/record.ts';
import { checkSetup, loadValidScenario } from '../lib/scenario-schema.ts';
import { parseShard, takeShardIndexed } from '../lib/shard.ts';
import { summary } from '../lib/summary.ts';
import { runPool, type SweepTask } from '../lib/pool.ts';

export interface SweepOptions extends SweepSettings {
  readonly workers?: number;
  readonly shard?: string;
  readonly json?: string;
  readonly junit?: string;
  readonly out?: string;
  readonly resume?: boolean;
  readonly tty?: boolean;
}

/** Runs scenario files and folders; resolves to the exit code. */
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
  const files = takeShardIndexed(await discoverScenarios(roots), shard);
  // Validate every file before running any, so bad input stops the sweep up front.
  const loaded = [];
  const indexOf = new Map<string, number>();
  for (const { item, index } of files) {
    const l = await loadValidScenario(item);
    checkSetup(l);
    loaded.push(l);
    indexOf.set(l.path, index);
  }

  const settings: SweepSettings = {
    strategy: opts.strategy,
    schedules: opts.schedules,
    seed: opts.seed,
    preemptions: opts.preemptions,
    depth: opts.depth,
    time: opts.time,
  };
  const out = opts.out === undefined ? undefined : new OutDir(opts.out, opts.resume === true);
  const previous = opts.resume && out ? out.finished() : new Map<string, ScenarioRecord>();
  const key = (file: string, hash: string) => JSON.stringify([file, hash, settings]);

  const records = new Map<string, ScenarioRecord>();
  const tasks: SweepTask[] = [];
  for (const l of loaded) {
    const prior = previous.get(key(l.path, l.hash));
    if (prior !== undefined) records.set(l.path, prior);
    else tasks.push({ file: l.path, settings });
  }

  if (records.size > 0) {
    console.log(`resuming: ${records.size} scenario(s) already recorded in ${opts.out}, ${tasks.length} to run`);
    for (const r of records.values()) console.log(`skip ${r.file}: recorded (found ${r.found})`);
  }
  const progress = makeProgress(tasks.length, opts.tty ?? process.stdout.isTTY === true);
  await runPool(tasks, opts.workers ?? availableParallelism(), (rec) => {
    // Durable first, printed second: what the user has seen is on disk.
    out?.record(key(rec.file, rec.hash), indexOf.get(rec.file) ?? -1, rec);
    records.set(rec.file, rec);
    for (const f of rec.findings) progress.log(`finding in ${rec.name}: ${f.kind}: ${f.message}\n  ${replayCommand(f)}`);
    progress.done(rec);
  });
  progress.stop();

  const ordered = loaded.map((l) => records.get(l.path)!);
  console.log('\n' + summary(ordered));
  if (opts.json !== undefined) writeOutput(opts.json, JSON.stringify(ordered, null, 2) + '\n');
  if (opts.junit !== undefined) writeOutput(opts.junit, junit(ordered));
  return ordered.every((r) => r.met) ? 0 : 1;
}

/** Strategies a sweep may force on every scenario: all but `replay`, which only
 * follows a regression's pinned schedule (regressions choose it themselves). */
export function sweepStrategies(): string[] {
  return strategyNames.filter((n) => n !== 'replay');
}
