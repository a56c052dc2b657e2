import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { strategyNames } from '../../src/engine/index.ts';
import { discoverScenarios } from '../lib/discover.ts';
import { UsageError } from '../lib/errors.ts';
import { junit } from '../lib/junit.ts';
import { OutDir } from '../lib/outdir.ts';
import { makeProgress } from '../lib/progress.ts';
import type { ScenarioRecord, SweepSettings } from '../lib/record.ts';
import { loadValidScenario } from '../lib/scenario-schema.ts';
import { parseShard, takeShard } from '../lib/shard.ts';
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
  if (opts.strategy !== undefined && !(strategyNames as readonly string[]).includes(opts.strategy)) {
    throw new UsageError(`unknown strategy '${opts.strategy}' (expected one of: ${strategyNames.join(', ')})`);
  }
  if (opts.resume && opts.out === undefined) throw new UsageError('--resume needs --out DIR');
  const roots = paths.length > 0 ? paths : ['scenarios'];
  for (const p of roots) if (!existsSync(p)) throw new UsageError(`${p}: no such file or directory`);
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  const files = takeShard(await discoverScenarios(roots), shard);
  // Validate every file before running any, so bad input stops the sweep up front.
  const loaded = [];
  for (const f of files) loaded.push(await loadValidScenario(f));

  const settings: SweepSettings = {
    strategy: opts.strategy,
    schedules: opts.schedules,
    seed: opts.seed,
    preemptions: opts.preemptions,
    time: opts.time,
  };
  const out = opts.out === undefined ? undefined : new OutDir(opts.out);
  const previous = opts.resume && out ? out.finished() : new Map<string, ScenarioRecord>();
  const key = (file: string, hash: string) => JSON.stringify([file, hash, settings]);

  const records = new Map<string, ScenarioRecord>();
  const tasks: SweepTask[] = [];
  for (const l of loaded) {
    const prior = previous.get(key(l.path, l.hash));
    if (prior !== undefined) records.set(l.path, prior);
    else tasks.push({ file: l.path, settings });
  }

  const progress = makeProgress(tasks.length, opts.tty ?? process.stdout.isTTY === true);
  if (records.size > 0) progress.log(`resuming: ${records.size} scenario(s) already recorded in ${opts.out}`);
  await runPool(tasks, opts.workers ?? availableParallelism(), (rec) => {
    // Durable first, printed second: what the user has seen is on disk.
    out?.record(key(rec.file, rec.hash), rec);
    records.set(rec.file, rec);
    for (const f of rec.findings) progress.log(`finding in ${rec.name}: ${f.kind}: ${f.message}\n  septcheck replay ${f.token}`);
    progress.done(rec);
  });
  progress.stop();

  const ordered = loaded.map((l) => records.get(l.path)!);
  console.log('\n' + summary(ordered));
  if (opts.json !== undefined) writeFileSync(opts.json, JSON.stringify(ordered, null, 2) + '\n');
  if (opts.junit !== undefined) writeFileSync(opts.junit, junit(ordered));
  return ordered.every((r) => r.met) ? 0 : 1;
}
