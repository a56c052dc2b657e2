import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeOutput } from '../lib/discover.ts';
import { UsageError } from '../lib/errors.ts';
import { junit } from '../lib/junit.ts';
import { readRecords } from '../lib/outdir.ts';
import type { ScenarioRecord } from '../lib/record.ts';
import { summary } from '../lib/summary.ts';

export interface MergeOptions {
  readonly json?: string;
  readonly junit?: string;
}

/** Combines the --out directories of sharded sweeps into one summary. */
export function merge(dirs: readonly string[], opts: MergeOptions): number {
  // One record per scenario file: a folder resumed under other settings holds the
  // file twice, and the later record wins.
  const byFile = new Map<string, { index: number; record: ScenarioRecord }>();
  for (const dir of dirs) {
    if (!existsSync(join(dir, 'scenarios.jsonl'))) throw new UsageError(`${dir}: not a sweep --out directory (no scenarios.jsonl)`);
    for (const r of readRecords(dir)) {
      byFile.delete(r.record.file);
      byFile.set(r.record.file, r);
    }
  }
  // The unsharded sweep's order: each record's place in it, then the file name.
  const records = [...byFile.values()]
    .sort((a, b) => a.index - b.index || (a.record.file < b.record.file ? -1 : a.record.file > b.record.file ? 1 : 0))
    .map((r) => r.record);
  console.log(summary(records));
  if (opts.json !== undefined) writeOutput(opts.json, JSON.stringify(records, null, 2) + '\n');
  if (opts.junit !== undefined) writeOutput(opts.junit, junit(records));
  return records.every((r) => r.met) ? 0 : 1;
}
