import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../lib/errors.ts';
import { junit } from '../lib/junit.ts';
import { readJsonl } from '../lib/outdir.ts';
import type { ScenarioRecord } from '../lib/record.ts';
import { summary } from '../lib/summary.ts';

export interface MergeOptions {
  readonly json?: string;
  readonly junit?: string;
}

/** Combines the --out directories of sharded sweeps into one summary. */
export function merge(dirs: readonly string[], opts: MergeOptions): number {
  const byKey = new Map<string, ScenarioRecord>();
  for (const dir of dirs) {
    const file = join(dir, 'scenarios.jsonl');
    if (!existsSync(file)) throw new UsageError(`${dir}: not a sweep --out directory (no scenarios.jsonl)`);
    for (const r of readJsonl<ScenarioRecord & { key: string }>(file)) {
      const { key, ...rec } = r;
      byKey.set(key, rec);
    }
  }
  const records = [...byKey.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  console.log(summary(records));
  if (opts.json !== undefined) writeFileSync(opts.json, JSON.stringify(records, null, 2) + '\n');
  if (opts.junit !== undefined) writeFileSync(opts.junit, junit(records));
  return records.every((r) => r.met) ? 0 : 1;
}
