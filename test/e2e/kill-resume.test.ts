// End to end: a sweep killed with SIGKILL right after each write of its --out folder
// (test hook SEPTCHECK_KILL_AFTER_WRITES), then resumed, ends with exactly the records
// and findings of a sweep that was never interrupted, and no line twice.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonl, removeTempDirs, septcheck, tempDir, timeless } from './helpers.ts';

/** Two scenarios with a finding (one with a prelude) around a clean one. */
const SET = ['scenarios/classic/abba-latent.ts', 'scenarios/classic/abba-ordered.ts', 'scenarios/classic/gfp-kernel-under-rwlock.ts'];
const SWEEP = ['sweep', ...SET, '--workers', '1'];

let dir: string;
/** Lines of the uninterrupted sweep's logs. */
let reference: { scenarios: string[]; findings: string[] };
/** Writes of a record: per finding its report and its line, per scenario its line. */
let writes: number;

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
const logs = (out: string) => ({ scenarios: lines(join(out, 'scenarios.jsonl')), findings: lines(join(out, 'findings.jsonl')) });
/** A record as a comparable value: its parsed line, without what depends on wall time. */
const records = (ls: string[]) => ls.map((l) => timeless(JSON.parse(l) as { file: string; stats: Record<string, unknown> })).sort((a, b) => a.file.localeCompare(b.file));

beforeAll(async () => {
  dir = tempDir('kill');
  const r = await septcheck([...SWEEP, '--out', join(dir, 'reference')]);
  expect(r.code, r.stderr).toBe(0);
  reference = logs(join(dir, 'reference'));
  writes = 2 * reference.findings.length + reference.scenarios.length;
});
afterAll(removeTempDirs);

describe('SIGKILL at every write boundary, then --resume', () => {
  it('the reference sweep has findings and clean scenarios to lose', () => {
    expect(reference.scenarios).toHaveLength(SET.length);
    expect(reference.findings.length).toBeGreaterThanOrEqual(2);
    expect(writes).toBe(7);
  });

  it.concurrent.for(Array.from({ length: 7 }, (_, k) => k + 1))('killed after write %i: the resumed sweep equals the uninterrupted one', async (n, { expect }) => {
    const out = join(dir, `killed-${n}`);
    const killed = await septcheck([...SWEEP, '--out', out], undefined, { SEPTCHECK_KILL_AFTER_WRITES: String(n) });
    expect(killed.signal).toBe('SIGKILL');
    const before = logs(out);
    const resumed = await septcheck([...SWEEP, '--out', out, '--resume']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    if (before.scenarios.length > 0) expect(resumed.stdout).toContain(`resuming: ${before.scenarios.length} scenario(s) already recorded`);
    // A kill between a scenario's findings and its own line leaves findings behind.
    if (n === 2) expect(before.findings.length).toBeGreaterThan(before.scenarios.length);
    const after = logs(out);
    for (const ls of [after.scenarios, after.findings]) expect(new Set(ls).size, 'a duplicate line').toBe(ls.length);
    expect(records(after.scenarios)).toEqual(records(reference.scenarios));
    expect([...after.findings].sort()).toEqual([...reference.findings].sort());
    for (const f of readJsonl<{ reportFile: string; token: string }>(join(out, 'findings.jsonl'))) {
      expect(readFileSync(join(out, f.reportFile), 'utf8')).toContain(`replay: septcheck replay ${f.token}`);
    }
  });
});
