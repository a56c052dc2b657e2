import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeToken,
  encodeToken,
  explore,
  loadScenario,
  makeToken,
  renderTrace,
  replayToken,
  TokenError,
  type TokenData,
} from '../../src/engine/index.ts';

const FIXTURE = 'test/fixtures/scenarios/counter-race.scenario.ts';
const tmp = mkdtempSync(join(tmpdir(), 'septcheck-token-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** What a replay must reproduce byte for byte. */
const view = (trace: Parameters<typeof renderTrace>[0]) => ({ text: renderTrace(trace), json: JSON.stringify(trace) });

describe('replay tokens', () => {
  it('round-trip and replay strictly to the same trace', async () => {
    const l = await loadScenario(FIXTURE);
    const r = await explore(l.scenario, { strategy: 'pct', seed: 9, schedules: 500 });
    const f = r.findings[0]!;
    const token = makeToken(l, f);
    expect(token).toMatch(/^sc1\.[A-Za-z0-9_-]+$/);
    const data = decodeToken(token);
    expect(data).toMatchObject({ v: 1, scenario: { path: FIXTURE, hash: l.hash }, variant: 'fixture', kind: f.kind, params: f.params });
    expect(encodeToken(data)).toBe(token);
    const back = await replayToken(token);
    expect(back.finding?.kind).toBe(f.kind);
    expect(view(back.finding!.trace)).toEqual(view(f.trace));
    expect(back.finding!.schedule).toEqual(f.schedule);
  });

  it('200 random failing schedules replay byte-identically in two other processes', async () => {
    const l = await loadScenario(FIXTURE);
    const r = await explore(l.scenario, { strategy: 'random', seed: 17, schedules: 400, stopOnFirst: false, shrink: false });
    const findings = r.findings.slice(0, 200);
    expect(findings).toHaveLength(200);
    const file = join(tmp, 'tokens.txt');
    writeFileSync(file, findings.map((f) => makeToken(l, f)).join('\n'));
    const child = () =>
      execFileSync(process.execPath, ['--import', 'tsx', 'test/fixtures/replay-child.ts', file], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const a = child();
    const b = child();
    expect(b).toBe(a);
    const lines = a.trim().split('\n').map((x) => JSON.parse(x) as { kind: string; text: string; json: string });
    expect(lines).toEqual(findings.map((f) => ({ kind: f.kind, ...view(f.trace) })));
    // Not 200 copies of one schedule.
    expect(new Set(lines.map((x) => x.json)).size).toBeGreaterThan(50);
  }, 60_000);

  it('refuse a scenario file that changed since the token was made', async () => {
    const file = join(tmp, 'edited.scenario.ts');
    copyFileSync(FIXTURE, file);
    const l = await loadScenario(file);
    const f = (await explore(l.scenario, { strategy: 'dfs' })).findings[0]!;
    const token = makeToken(l, f);
    expect((await replayToken(token)).finding?.kind).toBe(f.kind);
    writeFileSync(file, readFileSync(file, 'utf8').replace("expect: 'invariant:lost-update'", "expect: 'clean'"));
    const err = await replayToken(token).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenError);
    expect((err as Error).message).toMatch(/^scenario changed: .*edited\.scenario\.ts/);
    expect((err as Error).message).not.toContain('\n');
  });

  it('give a one-line error for a malformed token', async () => {
    const good = decodeToken(makeToken(await loadScenario(FIXTURE), (await explore((await loadScenario(FIXTURE)).scenario, { strategy: 'dfs' })).findings[0]!));
    const pack = (x: unknown) => `sc1.${deflateRawSync(Buffer.from(typeof x === 'string' ? x : JSON.stringify(x))).toString('base64url')}`;
    const bad: Array<[string, RegExp]> = [
      ['', /start with 'sc1\.'/],
      ['sc2.abc', /start with 'sc1\.'/],
      ['sc1.not*base64', /not base64url/],
      ['sc1.AAAA', /does not inflate|not JSON/],
      [pack('{"v":1,'), /not JSON/],
      [pack({ ...good, v: 2 }), /^malformed replay token: v: /],
      [pack({ ...good, scenario: { path: 'x.ts', hash: 'nothex' } }), /scenario\.hash/],
      [pack({ ...good, schedule: { switches: [{ step: -1, thread: 'T0', op: 'start' }], steps: 3 } }), /schedule\.switches\.0\.step/],
      [pack({ ...good, kind: undefined } as Partial<TokenData>), /kind/],
    ];
    for (const [token, why] of bad) {
      const err = (() => {
        try {
          decodeToken(token);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err, token).toBeInstanceOf(TokenError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/^malformed replay token: /);
      expect(msg).toMatch(why);
      expect(msg).not.toContain('\n');
    }
    await expect(replayToken('garbage')).rejects.toThrow(TokenError);
  });
});
