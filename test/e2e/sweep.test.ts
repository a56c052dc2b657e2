// End to end: one real sweep over a few small scenarios, then what the issue asks of
// it: a seeded bug found and its token printed; --json; plain lines off a TTY; replay
// in other processes; shards merged; SIGKILL mid-sweep and --resume.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, readJson, readJsonl, removeTempDirs, septcheck, start, tempDir, timeless, tokenOf, tokensIn, type Result, type SweepRecord } from './helpers.ts';

/** In this order: a finding first, then a slow clean one (the kill lands in it). */
const SET = [
  'scenarios/classic/abba-latent.ts',
  'test/e2e/fixtures/sweep/slow-clean.ts',
  'scenarios/classic/gfp-kernel-under-rwlock.ts',
  'scenarios/catalogue/topup-under-split-cache-lock.ts',
  'scenarios/classic/abba-ordered.ts',
];
const EXPECTED: Record<string, string> = {
  'scenarios/classic/abba-latent.ts': 'lock-order-inversion',
  'test/e2e/fixtures/sweep/slow-clean.ts': 'clean',
  'scenarios/classic/gfp-kernel-under-rwlock.ts': 'sleep-in-atomic',
  'scenarios/catalogue/topup-under-split-cache-lock.ts': 'sleep-in-atomic',
  'scenarios/classic/abba-ordered.ts': 'clean',
};
const SWEEP = ['sweep', ...SET, '--workers', '1'];

let dir: string;
let sweep: Result;
let records: SweepRecord[];

beforeAll(async () => {
  dir = tempDir('sweep');
  sweep = await septcheck([...SWEEP, '--json', join(dir, 'sweep.json'), '--out', join(dir, 'out')]);
  if (sweep.code !== 0) throw new Error(`sweep failed: ${JSON.stringify(sweep)}`);
  records = readJson<SweepRecord[]>(join(dir, 'sweep.json'));
});
afterAll(removeTempDirs);

describe('septcheck sweep', () => {
  it('meets every expected verdict and exits 0', () => {
    expect(sweep.stderr).toBe('');
    expect(sweep.code).toBe(0);
    expect(records.map((r) => [r.file, r.expected, r.verdict])).toEqual(
      SET.map((f) => [f, EXPECTED[f], EXPECTED[f] === 'clean' ? 'clean' : 'finding']),
    );
  });

  it('finds the seeded bug and prints a replay token for it', () => {
    expect(sweep.stdout).toMatch(/^finding in gfp-kernel-under-rwlock: sleep-in-atomic: sleeping function called from invalid context/m);
    const token = tokenOf(sweep.stdout, 'gfp-kernel-under-rwlock');
    const rec = records.find((r) => r.name === 'gfp-kernel-under-rwlock')!;
    expect(rec.findings.map((f) => f.token)).toEqual([token]);
    // One token per finding, printed as its scenario finished, and only then: once.
    const printed = tokensIn(sweep.stdout);
    expect(printed).toEqual(records.flatMap((r) => r.findings.map((f) => f.token)));
    for (const t of printed) expect(sweep.stdout.split(t)).toHaveLength(2);
  });

  it('--json has the fields per scenario and per finding', () => {
    for (const r of records) {
      expect(Object.keys(r)).toEqual(expect.arrayContaining(['file', 'name', 'variant', 'strategy', 'schedules', 'expected', 'verdict', 'findings']));
      expect(typeof r.file).toBe('string');
      expect(typeof r.name).toBe('string');
      expect(typeof r.variant).toBe('string');
      expect(typeof r.strategy).toBe('string');
      expect(r.schedules).toBeGreaterThan(0);
      expect(['clean', 'finding']).toContain(r.verdict);
      expect(r.findings.length > 0).toBe(r.verdict === 'finding');
      for (const f of r.findings) {
        expect(Object.keys(f)).toEqual(expect.arrayContaining(['kind', 'message', 'token', 'originalSteps', 'minimalSteps']));
        expect(f.kind).toBe(r.expected);
        expect(f.token).toMatch(/^sc2\.[A-Za-z0-9_-]+$/);
        expect(f.minimalSteps).toBeGreaterThan(0);
        expect(f.minimalSteps).toBeLessThanOrEqual(f.originalSteps);
      }
    }
    const topup = records.find((r) => r.name === 'topup-under-split-cache-lock')!;
    expect(topup.variant).toBe('v3-cross-boundary');
    expect(topup.strategy).toBe('dpor');
  });

  it('prints one plain line per scenario when stdout is not a TTY', () => {
    expect(sweep.stdout).not.toMatch(/\x1b\[|\r/);
    for (const r of records) {
      const lines = sweep.stdout.split('\n').filter((l) => / {1,}\S+\.ts: expected /.test(l) && l.includes(` ${r.file}: `));
      const n = `${r.schedules} schedule${r.schedules === 1 ? '' : 's'}`;
      // A clean line says what the verdict claims (proved within a bound, or sampled).
      const what = r.verdict === 'clean' ? r.claim : `found ${r.expected} (${r.findings[0]!.minimalSteps} steps) in ${n}`;
      expect(r.claim).toMatch(r.verdict === 'clean' ? /^clean, (proved (for every schedule|within \d+ preemptions?) \(\d+ schedules?\)|sampled \d+ schedules? \(not exhaustive\))$/ : /^/);
      expect(lines).toEqual([`ok   ${r.file}: expected ${r.expected}, ${what}`]);
    }
    // One worker runs the scenarios in the order given, so they print in that order.
    const order = sweep.stdout.split('\n').filter((l) => l.startsWith('ok   ')).map((l) => l.split(' ').filter(Boolean)[1]!.replace(/:$/, ''));
    expect(order).toEqual(SET);
    expect(sweep.stdout).toMatch(new RegExp(`^${records.length} met, 0 failed$`, 'm'));
  });
});

describe('septcheck replay', () => {
  it('reproduces the finding in other processes: exit 1, the kernel-style report, the same output twice', async () => {
    const token = tokenOf(sweep.stdout, 'gfp-kernel-under-rwlock');
    const [a, b] = await Promise.all([septcheck(['replay', token]), septcheck(['replay', token])]);
    expect(a.stderr).toBe('');
    expect([a.code, b.code]).toEqual([1, 1]);
    expect(a.stdout).toMatch(/^BUG: sleeping function called from invalid context at /);
    expect(a.stdout).toContain('in_atomic(): 1, irqs_disabled(): 0');
    expect(a.stdout).toMatch(/^1 lock held by vcpu0\/\d+:$/m);
    expect(a.stdout).toContain('kmalloc(4096, GFP_KERNEL)');
    expect(b.stdout).toBe(a.stdout);
  });

  it('shows the variant the scenario declares (the token names none)', async () => {
    const token = tokenOf(sweep.stdout, 'topup-under-split-cache-lock');
    const [text, json] = await Promise.all([septcheck(['replay', token]), septcheck(['replay', token, '--json'])]);
    expect([text.code, json.code]).toEqual([1, 1]);
    expect(text.stdout).toMatch(/^scenario scenarios\/catalogue\/topup-under-split-cache-lock\.ts \(v3-cross-boundary\), \d+ steps, /m);
    expect(JSON.parse(json.stdout)).toMatchObject({ scenario: 'scenarios/catalogue/topup-under-split-cache-lock.ts', variant: 'v3-cross-boundary' });
  });

  it('replays a finding with a prelude (lockdep across two schedules) identically too', async () => {
    const token = tokenOf(sweep.stdout, 'abba-latent');
    const [a, b] = await Promise.all([septcheck(['replay', token]), septcheck(['replay', token])]);
    expect([a.code, b.code]).toEqual([1, 1]);
    expect(a.stdout).toContain('WARNING: possible circular locking dependency detected');
    expect(b.stdout).toBe(a.stdout);
  });
});

describe('sharding', () => {
  it('--shard 1/2 and 2/2, merged, equal the unsharded sweep', async () => {
    const out = (i: number) => join(dir, `shard-${i}`);
    const shards = await Promise.all([1, 2].map((i) => septcheck([...SWEEP, '--shard', `${i}/2`, '--out', out(i), '--json', join(dir, `shard-${i}.json`)])));
    expect(shards.map((s) => s.code)).toEqual([0, 0]);
    const parts = [1, 2].map((i) => readJson<SweepRecord[]>(join(dir, `shard-${i}.json`)));
    // Disjoint halves that cover the set.
    expect(parts.map((p) => p.length)).toEqual([Math.ceil(SET.length / 2), Math.floor(SET.length / 2)]);
    expect([...parts[0]!, ...parts[1]!].map((r) => r.file).sort()).toEqual([...SET].sort());

    const merged = await septcheck(['merge', out(1), out(2), '--json', join(dir, 'merged.json')]);
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(0);
    expect(readJson<SweepRecord[]>(join(dir, 'merged.json')).map(timeless)).toEqual(records.map(timeless));
    expect(merged.stdout).toContain(`${SET.length} met, 0 failed`);
  });
});

describe('SIGKILL mid-sweep, then --resume', () => {
  it('loses no printed finding, skips what finished, and ends with the uninterrupted sweep', async () => {
    const out = join(dir, 'killed');
    const child = start([...SWEEP, '--out', out]);
    const ended = collect(child);
    // Read stdout line by line; kill at the first complete finding (its token line).
    let seen = '';
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((res) => {
      lines.on('line', (line) => {
        seen += `${line}\n`;
        if (/^ {2}septcheck replay sc2\./.test(line)) {
          child.kill('SIGKILL');
          res();
        }
      });
      lines.on('close', res);
    });
    const killed = await ended;
    expect(killed.signal).toBe('SIGKILL');

    // Everything printed before the kill is on disk.
    const printed = tokensIn(seen);
    expect(printed.length).toBeGreaterThan(0);
    const onDisk = readJsonl<{ token: string }>(join(out, 'findings.jsonl')).map((f) => f.token);
    expect(onDisk).toEqual(expect.arrayContaining(printed));
    const finished = readJsonl<{ file: string }>(join(out, 'scenarios.jsonl')).map((r) => r.file);
    // The kill interrupted the sweep (the slow scenario was running).
    expect(finished.length).toBeGreaterThan(0);
    expect(finished.length).toBeLessThan(SET.length);

    const resumed = await septcheck([...SWEEP, '--out', out, '--resume', '--json', join(dir, 'resumed.json')]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`resuming: ${finished.length} scenario(s) already recorded in ${out}, ${SET.length - finished.length} to run`);
    const ran = resumed.stdout.split('\n').filter((l) => /^(ok {3}|FAIL )\S+\.ts: expected /.test(l)).map((l) => l.split(' ').filter(Boolean)[1]!.replace(/:$/, ''));
    const skipped = resumed.stdout.split('\n').filter((l) => l.startsWith('skip ')).map((l) => l.split(' ')[1]!.replace(/:$/, ''));
    expect(skipped.sort()).toEqual([...finished].sort());
    expect(ran.sort()).toEqual(SET.filter((f) => !finished.includes(f)).sort());

    // The final set equals the uninterrupted sweep's: records, findings, reports.
    expect(readJson<SweepRecord[]>(join(dir, 'resumed.json')).map(timeless)).toEqual(records.map(timeless));
    const key = (f: { file: string; token: string }) => `${f.file} ${f.token}`;
    const final = readJsonl<{ file: string; token: string; reportFile: string }>(join(out, 'findings.jsonl'));
    const reference = readJsonl<{ file: string; token: string }>(join(dir, 'out', 'findings.jsonl'));
    expect(final.map(key).sort()).toEqual(reference.map(key).sort());
    for (const f of final) expect(readFileSync(join(out, f.reportFile), 'utf8')).toContain(`replay: septcheck replay ${f.token}`);
    expect(readJsonl<{ file: string }>(join(out, 'scenarios.jsonl')).map((r) => r.file).sort()).toEqual([...SET].sort());
  });

  it('refuses to mix a new sweep into an --out folder that holds one', async () => {
    const r = await septcheck([...SWEEP, '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`septcheck: --out ${join(dir, 'out')} already holds a sweep; add --resume to continue it, or choose another --out\n`);
    // The folder is as it was.
    expect(readJsonl(join(dir, 'out', 'scenarios.jsonl'))).toHaveLength(SET.length);
    expect(readFileSync(join(dir, 'out', 'findings.jsonl'), 'utf8').split('\n').filter(Boolean)).toHaveLength(records.flatMap((r) => r.findings).length);
  });
});
