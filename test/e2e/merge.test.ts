// End to end: merge checks that every shard of i/n is there and every scenario of
// the sweep recorded, and exits 3 naming what is missing; an empty shard still
// records its (empty) part.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson, removeTempDirs, septcheck, tempDir, timeless, type SweepRecord } from './helpers.ts';

/** Three scenarios, in the sweep's (sorted) order. */
const FILES = ['scenarios/classic/abba-latent.ts', 'scenarios/classic/abba-ordered.ts', 'scenarios/classic/gfp-kernel-under-rwlock.ts'];
const SWEEP = ['sweep', 'scenarios/classic', '--workers', '1'];

let dir: string;
const out = (name: string) => join(dir, name);
let whole: SweepRecord[];

beforeAll(async () => {
  dir = tempDir('merge');
  const r = await septcheck([...SWEEP, '--json', out('whole.json')]);
  expect(r.code).toBe(0);
  whole = readJson<SweepRecord[]>(out('whole.json'));
  // Shards 1..5 of 5: shards 4 and 5 are empty. Shard 1/3 is killed after its first
  // write: the report of its finding, before the scenario's own line.
  const runs = await Promise.all([
    ...[1, 2, 3, 4, 5].map((i) => septcheck([...SWEEP, '--shard', `${i}/5`, '--out', out(`five-${i}`)])),
    ...[2, 3].map((i) => septcheck([...SWEEP, '--shard', `${i}/3`, '--out', out(`three-${i}`)])),
    septcheck([...SWEEP, '--shard', '1/3', '--out', out('three-1')], undefined, { SEPTCHECK_KILL_AFTER_WRITES: '1' }),
    septcheck([...SWEEP, '--shard', '1/3', '--strategy', 'random', '--out', out('other-1')]),
  ]);
  expect(runs.slice(0, 7).map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  expect(runs[7]!.signal).toBe('SIGKILL');
  expect(runs[8]!.code).toBe(0);
}, 180_000);
afterAll(removeTempDirs);

describe('septcheck merge', () => {
  it('an empty shard writes its empty records, and says so', async () => {
    for (const i of [4, 5]) {
      expect(readFileSync(join(out(`five-${i}`), 'scenarios.jsonl'), 'utf8')).toBe('');
      expect(readFileSync(join(out(`five-${i}`), 'findings.jsonl'), 'utf8')).toBe('');
      expect(readJson(join(out(`five-${i}`), 'sweep-meta.json'))).toMatchObject({ shard: { index: i, count: 5 }, files: FILES });
    }
  });

  it('all shards, empty ones included, merge into the unsharded sweep (exit 0)', async () => {
    const r = await septcheck(['merge', ...[1, 2, 3, 4, 5].map((i) => out(`five-${i}`)), '--json', out('five.json')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readJson<SweepRecord[]>(out('five.json')).map(timeless)).toEqual(whole.map(timeless));
    expect(r.stdout).not.toContain('missing');
  });

  it('a shard not given: exit 3, naming the shard and its scenarios', async () => {
    const r = await septcheck(['merge', out('five-1'), out('five-3'), out('five-4'), out('five-5'), '--json', out('four.json'), '--junit', out('four.xml')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('\nmissing: shard 2/5 (no --out folder of it was given)\n');
    expect(r.stdout).toContain(`\nmissing: ${FILES[1]}: its shard 2/5 is missing\n`);
    expect(r.stdout).toMatch(/^2 met, 0 failed, 1 not judged$/m);
    const merged = readJson<SweepRecord[]>(out('four.json'));
    expect(merged.map((m) => [m.file, m.verdict])).toEqual([
      [FILES[0], 'finding'],
      [FILES[1], 'error'],
      [FILES[2], 'finding'],
    ]);
    expect(readFileSync(out('four.xml'), 'utf8')).toContain('errors="1"');
  });

  it('a shard killed before it recorded its scenario: exit 3, naming the scenario', async () => {
    expect(existsSync(join(out('three-1'), 'sweep-meta.json'))).toBe(true);
    const r = await septcheck(['merge', out('three-1'), out('three-2'), out('three-3')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`\nmissing: ${FILES[0]}: shard 1/3 did not record it (killed before it finished?)\n`);
    expect(r.stdout).not.toContain('missing: shard');
  });

  it('folders of different sweeps are bad input (exit 2)', async () => {
    const r = await septcheck(['merge', out('other-1'), out('three-3')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`septcheck: ${out('three-3')} holds a shard of another sweep than ${out('other-1')} (other shard count, scenario files or settings)\n`);
  });
});
