import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeOutput } from '../lib/discover.ts';
import { UsageError } from '../lib/errors.ts';
import { junit } from '../lib/junit.ts';
import { readRecords } from '../lib/outdir.ts';
import type { ScenarioRecord } from '../lib/record.ts';
import { summary } from '../lib/summary.ts';
import { readMeta, type SweepMeta } from '../lib/sweep-meta.ts';
import { errorRecord, exitCode, fileInfo } from '../lib/verdict.ts';

export interface MergeOptions {
  readonly json?: string;
  readonly junit?: string;
}

/** Combines the --out directories of sharded sweeps into one summary. Every shard
 * i/n must be there and every scenario of the sweep recorded; what is missing is
 * named, counts as not judged (exit 3), and shows as an error in --json and --junit. */
export function merge(dirs: readonly string[], opts: MergeOptions): number {
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

  const count = first.shard.count;
  const present = new Set(metas.map(({ meta }) => meta.shard.index));
  const missing: string[] = [];
  for (let i = 1; i <= count; i++) if (!present.has(i)) missing.push(`missing: shard ${i}/${count} (no --out folder of it was given)`);
  // The unsharded sweep's order.
  const records = first.files.map((file, index) => {
    const r = byFile.get(file);
    if (r !== undefined) return r;
    const shard = `${(index % count) + 1}/${count}`;
    const why = present.has((index % count) + 1) ? `shard ${shard} did not record it (killed before it finished?)` : `its shard ${shard} is missing`;
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
