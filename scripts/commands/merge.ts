import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { scenarioFileHash } from '../../src/engine/index.ts';
import { tokenRootOf, writeOutput } from '../lib/discover.ts';
import { UsageError } from '../lib/errors.ts';
import { junit } from '../lib/junit.ts';
import { readParts, readRecords, type StoredSplit } from '../lib/outdir.ts';
import { SplitRun } from '../lib/parts.ts';
import { defaultWorkers, WorkerPool, type SweepTask, type TaskSource } from '../lib/pool.ts';
import type { ScenarioRecord, SweepSettings } from '../lib/record.ts';
import { projectRoot } from '../lib/root.ts';
import { shardOfItem } from '../lib/shard.ts';
import { summary } from '../lib/summary.ts';
import { readMeta, type SweepMeta } from '../lib/sweep-meta.ts';
import { errorRecord, exitCode, fileInfo } from '../lib/verdict.ts';
import { DEFAULT_STEP_TIME } from './sweep.ts';

export interface MergeOptions {
  readonly json?: string;
  readonly junit?: string;
}

/** Combines the --out directories of sharded sweeps into one summary. Every shard
 * i/n must be there and every scenario of the sweep recorded; what is missing is
 * named, counts as not judged (exit 3), and shows as an error in --json and --junit.
 * A split scenario (--split) is judged from the parts of all its shards: a part
 * that ran past what the parts ahead of it left it runs again, an item a shard
 * skipped that counts after all runs, and the parts' cross-schedule witnesses are
 * replayed together, in this checkout's workers. */
export async function merge(dirs: readonly string[], opts: MergeOptions): Promise<number> {
  if (opts.json === '-' && opts.junit === '-') throw new UsageError("--json and --junit cannot both be '-' (standard output)");
  const metas: { dir: string; meta: SweepMeta }[] = [];
  for (const dir of dirs) {
    if (!existsSync(join(dir, 'scenarios.jsonl'))) throw new UsageError(`${dir}: not a sweep --out directory (no scenarios.jsonl)`);
    metas.push({ dir, meta: readMeta(dir) });
  }
  const first = metas[0]!.meta;
  const same = JSON.stringify([first.shard.count, first.files, first.settings]);
  const other = metas.find(({ meta }) => JSON.stringify([meta.shard.count, meta.files, meta.settings]) !== same);
  if (other !== undefined) throw new UsageError(`${other.dir} holds a shard of another sweep than ${metas[0]!.dir} (other shard count, scenario files or settings)`);

  // One record per scenario file: a folder resumed under other settings holds the
  // file twice, and the later record wins.
  const byFile = new Map<string, ScenarioRecord>();
  for (const { dir } of metas) for (const r of readRecords(dir)) byFile.set(r.record.file, r.record);
  // Split scenarios: the plan, the last part of each item and the items skipped, from
  // every folder.
  const splits = new Map<string, StoredSplit[]>();
  for (const { dir } of metas) {
    for (const s of readParts(dir).values()) {
      const file = (JSON.parse(s.key) as [string])[0];
      const known = splits.get(file) ?? [];
      const same = known.find((k) => k.key === s.key);
      if (same === undefined) known.push(s);
      else if (JSON.stringify(same.plan) !== JSON.stringify(s.plan)) known.push(s);
      else {
        for (const [k, p] of s.parts) same.parts.set(k, p);
        for (const k of s.skipped) same.skipped.add(k);
      }
      splits.set(file, known);
    }
  }

  const count = first.shard.count;
  const present = new Set(metas.map(({ meta }) => meta.shard.index));
  const missing: string[] = [];
  for (let i = 1; i <= count; i++) if (!present.has(i)) missing.push(`missing: shard ${i}/${count} (no --out folder of it was given)`);
  /** Why item `k` of the scenario at `index` is not in: its shard's fate. */
  const whyMissing = (index: number, k: number, what: string) => {
    const i = shardOfItem(index, k, count);
    return present.has(i) ? `shard ${i}/${count} did not record ${what} (killed before it finished?)` : `its shard ${i}/${count} is missing`;
  };

  const pending: { run: SplitRun; index: number }[] = [];
  for (const [index, file] of first.files.entries()) {
    if (byFile.has(file)) continue;
    const found = splits.get(file) ?? [];
    if (found.length === 0) continue;
    if (found.length > 1) {
      const why = 'its shards ran different versions of the file, or cut it into other work items (another septcheck?)';
      missing.push(`missing: ${file}: ${why}`);
      byFile.set(file, errorRecord(fileInfo({ file, hash: '', settings: {} }), 'missing', why));
      continue;
    }
    const s = found[0]!;
    const abs = isAbsolute(file) ? file : join(projectRoot(), file);
    const base: SweepTask = { kind: 'run', file, abs, hash: s.info.hash, settings: first.settings as SweepSettings, tokenRoot: tokenRootOf(abs), info: s.info };
    const run = new SplitRun(base, s.plan, { mine: (k) => s.skipped.has(k), speculate: false, resolves: true }, s.parts.values());
    if (run.record !== null) byFile.set(file, run.record);
    else pending.push({ run, index });
  }
  if (pending.length > 0) await judgeSplits(pending);
  for (const { run, index } of pending) {
    if (run.record === null) run.missing((k) => whyMissing(index, k, `item ${k + 1} of ${run.plan.items.length}`));
    const rec = run.record!;
    if (rec.found === 'missing') missing.push(`missing: ${run.base.file}: ${rec.findings[0]!.message}`);
    byFile.set(run.base.file, rec);
  }

  // The unsharded sweep's order.
  const records = first.files.map((file, index) => {
    const r = byFile.get(file);
    if (r !== undefined) return r;
    const why = whyMissing(index, 0, 'it');
    missing.push(`missing: ${file}: ${why}`);
    return errorRecord(fileInfo({ file, hash: '', settings: {} }), 'missing', why);
  });
  // With --json - or --junit -, standard output carries that alone.
  const say = (text: string) => (opts.json === '-' || opts.junit === '-' ? process.stderr : process.stdout).write(`${text}\n`);
  say(summary(records, { tokens: true }));
  if (missing.length > 0) say(['', ...missing].join('\n'));
  if (opts.json !== undefined) writeOutput(opts.json, JSON.stringify(records, null, 2) + '\n');
  if (opts.junit !== undefined) writeOutput(opts.junit, junit(records));
  return exitCode(records, missing.length === 0);
}

/** Runs what the split scenarios need to be judged, in workers of this checkout. A
 * scenario whose file is gone or changed since its shards ran is left unjudged. */
async function judgeSplits(pending: readonly { run: SplitRun }[]): Promise<void> {
  const runs: SplitRun[] = [];
  for (const { run } of pending) {
    const f = run.base;
    if (existsSync(f.abs) && (await scenarioFileHash(f.abs)) === f.hash) runs.push(run);
    else run.unjudged(`${f.file} is not here or changed since its shards ran: merge in the checkout they ran`);
  }
  if (runs.length === 0) return;
  const pool = new WorkerPool(Math.max(1, Math.min(defaultWorkers(), runs.length)), { stepTime: DEFAULT_STEP_TIME });
  const source: TaskSource = {
    next() {
      for (const run of runs) {
        const t = run.next();
        if (t !== null) return t;
      }
      return null;
    },
  };
  try {
    await pool.run(source, (task, r) => {
      runs.find((run) => run.base.file === task.file)!.done(task, r);
    });
  } finally {
    await pool.close();
  }
}
