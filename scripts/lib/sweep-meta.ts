// Which shard of which sweep an --out folder holds, so that merge can tell when a
// shard, or a scenario of one, is missing.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UsageError } from './errors.ts';

export const META = 'sweep-meta.json';

const metaSchema = z.object({
  /** `i/n`; `1/1` for a sweep that was not sharded. */
  shard: z.object({ index: z.number().int().min(1), count: z.number().int().min(1) }),
  /** Every scenario file of the unsharded sweep, in its order. */
  files: z.array(z.string()),
  settings: z.record(z.string(), z.unknown()),
});

export type SweepMeta = z.infer<typeof metaSchema>;

/** The description an --out folder holds; bad input if it has none. */
export function readMeta(dir: string): SweepMeta {
  const path = join(dir, META);
  if (!existsSync(path)) throw new UsageError(`${dir}: not a sweep --out directory (no ${META}; a folder of an older septcheck? sweep again)`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new UsageError(`${path}: not JSON`);
  }
  const r = metaSchema.safeParse(value);
  if (!r.success) throw new UsageError(`${path}: not a sweep description (${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message})`);
  return r.data;
}
