// End to end: sweep --split explores each scenario as work items spread over the
// workers and the shards. The result does not depend on how many there are: 1 and 2
// workers, and three shards merged, give the same records byte for byte; the
// verdicts are those of the unsplit sweep; every token replays in one process; a
// part whose worker dies loses no finding of the others; a sweep killed between any
// two writes resumes to the same records.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson, readJsonl, removeTempDirs, septcheck, tempDir, timeless, type SweepRecord } from './helpers.ts';

const SET = [
  'scenarios/classic',
  'scenarios/catalogue/concurrent-splitters-fixed.ts',
  'test/e2e/fixtures/split/claim-then-lock.ts',
  'test/e2e/fixtures/replay-clean/lost-update.ts',
];
const SWEEP = ['sweep', ...SET];

let dir: string;
const out = (name: string) => join(dir, name);
let whole: SweepRecord[];
let one: SweepRecord[];
let oneStdout: string;

beforeAll(async () => {
  dir = tempDir('split');
  const runs = await Promise.all([
    septcheck([...SWEEP, '--workers', '1', '--json', out('whole.json')]),
    septcheck([...SWEEP, '--split', '--workers', '1', '--json', out('one.json')]),
  ]);
  for (const r of runs) expect(r.code, r.stderr).toBe(0);
  whole = readJson<SweepRecord[]>(out('whole.json'));
  one = readJson<SweepRecord[]>(out('one.json'));
  oneStdout = runs[1]!.stdout;
}, 300_000);
afterAll(removeTempDirs);

describe('sweep --split', () => {
  it('splits what it can: dfs and dpor by prefixes, a small sampler not at all', () => {
    const split = (name: string) => String(one.find((r) => r.name === name)!.stats.split ?? 'whole');
    expect(split('concurrent-splitters-fixed')).toMatch(/^\d+ items \(prefixes of \d+( to \d+)? choice points?\), \d+ counted$/);
    expect(split('claim-then-lock')).toBe('2 items (prefixes of 1 choice point), 2 counted');
    expect(split('gfp-kernel-under-rwlock')).toBe('whole');
  });

  it('meets every verdict the unsplit sweep meets, with the same proofs and finding kinds', () => {
    const verdict = (r: SweepRecord) => [r.file, r.met, r.verdictClass, r.found, r.claim.replace(/\(\d+ schedules?\)/, '')];
    expect(one.map(verdict)).toEqual(whole.map(verdict));
  });

  it('finds a lock-order inversion whose two orders fall in different items, by replaying their witnesses together', () => {
    const r = one.find((x) => x.name === 'claim-then-lock')!;
    expect(r.stats.reconciled).toBe(2);
    expect(r.findings.map((f) => f.kind)).toEqual(['lock-order-inversion']);
  });

  it('prints tokens that replay in one process', async () => {
    const tokens = [...oneStdout.matchAll(/^ {2}septcheck replay (sc2\.[A-Za-z0-9_-]+)$/gm)].map((m) => m[1]!);
    expect(tokens.length).toBe(one.reduce((n, r) => n + r.findings.length, 0));
    for (const t of tokens) {
      const r = await septcheck(['replay', t]);
      expect(r.code, r.stderr).toBe(1);
    }
  });

  it('gives the same records on 2 workers as on 1, byte for byte', async () => {
    const r = await septcheck([...SWEEP, '--split', '--workers', '2', '--json', out('two.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readJson<SweepRecord[]>(out('two.json')).map(timeless)).toEqual(one.map(timeless));
  });
});

describe('sweep --split --shard, then merge', () => {
  beforeAll(async () => {
    const shards = await Promise.all([1, 2, 3].map((i) => septcheck([...SWEEP, '--split', '--workers', '1', '--shard', `${i}/3`, '--out', out(`shard-${i}`)])));
    for (const s of shards) expect(s.code, s.stderr).toBe(0);
    expect(shards[0]!.stdout).toMatch(/^part scenarios\/catalogue\/concurrent-splitters-fixed\.ts: \d+ of \d+ items here \(\d+ schedules\); septcheck merge judges it$/m);
  }, 300_000);

  it('every shard holds a part of the large scenario, and merging them gives the one-process records byte for byte', async () => {
    const r = await septcheck(['merge', out('shard-1'), out('shard-2'), out('shard-3'), '--json', out('merged.json')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readJson<SweepRecord[]>(out('merged.json')).map(timeless)).toEqual(one.map(timeless));
  });

  it('a shard missing: its items are named and the scenario is not judged (exit 3)', async () => {
    const r = await septcheck(['merge', out('shard-1'), out('shard-3'), '--json', out('partial.json')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('\nmissing: shard 2/3 (no --out folder of it was given)\n');
    expect(r.stdout).toMatch(/^missing: scenarios\/catalogue\/concurrent-splitters-fixed\.ts: item \d+ of \d+: its shard 2\/3 is missing$/m);
    const fixed = readJson<SweepRecord[]>(out('partial.json')).find((x) => x.name === 'concurrent-splitters-fixed')!;
    expect([fixed.verdict, fixed.verdictClass]).toEqual(['error', 'error']);
  });
});

describe('a part whose worker dies', () => {
  it('leaves its scenario not judged (exit 3), with the findings of the other items kept and replayable', async () => {
    const r = await septcheck(['sweep', 'test/e2e/fixtures/replay-clean/lost-update.ts', '--split', '--workers', '1', '--json', out('died.json')], undefined, { SEPTCHECK_EXIT_IN_ITEM: '0' });
    expect(r.code).toBe(3);
    const [rec] = readJson<SweepRecord[]>(out('died.json'));
    expect([rec!.verdict, rec!.found]).toEqual(['error', 'process-exit']);
    expect(rec!.findings[0]!.message).toMatch(/^item 1 of \d+: scenario code called process\.exit\(70\)/);
    const kept = rec!.findings.slice(1);
    expect(kept.map((f) => f.kind)).toEqual(['invariant:lost-update']);
    expect((await septcheck(['replay', kept[0]!.token])).code).toBe(1);
  });
});

describe('SIGKILL between writes of a split sweep, then --resume', () => {
  const KILL_SET = ['scenarios/classic/abba-ordered.ts', 'test/e2e/fixtures/split/claim-then-lock.ts', 'test/e2e/fixtures/replay-clean/lost-update.ts'];
  const KILL = ['sweep', ...KILL_SET, '--split', '--workers', '1'];
  const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
  const logs = (o: string) => ({ scenarios: lines(join(o, 'scenarios.jsonl')), findings: lines(join(o, 'findings.jsonl')), parts: lines(join(o, 'parts.jsonl')) });
  const records = (ls: string[]) => ls.map((l) => timeless(JSON.parse(l) as { file: string; stats: Record<string, unknown> })).sort((a, b) => a.file.localeCompare(b.file));
  let reference: ReturnType<typeof logs>;

  beforeAll(async () => {
    const r = await septcheck([...KILL, '--out', out('kill-reference')]);
    expect(r.code, r.stderr).toBe(0);
    reference = logs(out('kill-reference'));
  }, 120_000);

  it('the reference writes plans and parts before the records', () => {
    expect(reference.scenarios).toHaveLength(KILL_SET.length);
    expect(reference.parts.length).toBeGreaterThan(10);
  });

  it.concurrent.for([1, 2, 3, 5, 8, 13, 21])('killed after write %i: nothing is lost, and the resumed sweep equals the uninterrupted one', async (n, { expect }) => {
    const o = out(`killed-${n}`);
    const killed = await septcheck([...KILL, '--out', o], undefined, { SEPTCHECK_KILL_AFTER_WRITES: String(n) });
    expect(killed.signal).toBe('SIGKILL');
    const resumed = await septcheck([...KILL, '--out', o, '--resume']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const after = logs(o);
    for (const ls of [after.scenarios, after.findings]) expect(new Set(ls).size, 'a duplicate line').toBe(ls.length);
    expect(records(after.scenarios)).toEqual(records(reference.scenarios));
    expect([...after.findings].sort()).toEqual([...reference.findings].sort());
    for (const f of readJsonl<{ reportFile: string; token: string }>(join(o, 'findings.jsonl'))) {
      expect(readFileSync(join(o, f.reportFile), 'utf8')).toContain(`replay: septcheck replay ${f.token}`);
    }
  });
});
