import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
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
/** The same, of what every run records: a replay is traced (footprints, events),
 * an exploration that does not shrink is not. */
const untraced = (trace: Parameters<typeof renderTrace>[0]) => view(trace.map(({ footprint: _f, events: _e, ...ev }) => ev));

describe('replay tokens', () => {
  it('round-trip and replay strictly to the same trace', async () => {
    const l = await loadScenario(FIXTURE);
    const r = await explore(l.scenario, { strategy: 'pct', seed: 9, schedules: 500 });
    const f = r.findings[0]!;
    const token = makeToken(l, f);
    expect(token).toMatch(/^sc2\.[A-Za-z0-9_-]+$/);
    const data = decodeToken(token);
    expect(data).toEqual({ v: 2, scenario: { path: FIXTURE, hash: l.hash }, kind: f.kind, params: f.params, schedule: f.schedule });
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
    const replayed = lines.map((x) => ({ kind: x.kind, ...untraced(JSON.parse(x.json) as Parameters<typeof renderTrace>[0]) }));
    expect(replayed).toEqual(findings.map((f) => ({ kind: f.kind, ...view(f.trace) })));
    // Not 200 copies of one schedule.
    expect(new Set(lines.map((x) => x.json)).size).toBeGreaterThan(50);
  }, 60_000);

  it('refuse a scenario file that changed since the token was made', async () => {
    const file = join(tmp, 'edited.scenario.ts');
    copyFileSync(FIXTURE, file);
    const l = await loadScenario(file);
    const f = (await explore(l.scenario, { strategy: 'dfs' })).findings[0]!;
    const token = makeToken(l, f, { root: tmp });
    expect(decodeToken(token).scenario.path).toBe('edited.scenario.ts');
    expect((await replayToken(token, { root: tmp })).finding?.kind).toBe(f.kind);
    writeFileSync(file, readFileSync(file, 'utf8').replace("expect: 'invariant:lost-update'", "expect: 'clean'"));
    const err = await replayToken(token, { root: tmp }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenError);
    expect((err as Error).message).toMatch(/^scenario changed: .*edited\.scenario\.ts/);
    expect((err as Error).message).not.toContain('\n');
  });

  it('give a one-line error for a malformed token', async () => {
    const l = await loadScenario(FIXTURE);
    const token = makeToken(l, (await explore(l.scenario, { strategy: 'dfs' })).findings[0]!);
    const good = decodeToken(token);
    /** A token of any data, with a valid checksum: what an attacker can write. */
    const pack = (x: unknown) => {
      const deflated = deflateRawSync(Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)));
      const sum = createHash('sha256').update(deflated).digest().subarray(0, 6);
      return `sc2.${Buffer.concat([deflated, sum]).toString('base64url')}`;
    };
    expect(pack(good)).toBe(token);
    const body = token.slice(4);
    const last = body.at(-1)!;
    // A last character whose spare bits differ decodes to the same bytes.
    const alias = [...'AEIMQUYcgkosw048'].map((c) => body.slice(0, -1) + c).find((b) => b !== body && Buffer.from(b, 'base64url').equals(Buffer.from(body, 'base64url')));
    const flipped = body.slice(0, 10) + (body[10] === 'A' ? 'B' : 'A') + body.slice(11);
    const bad: Array<[unknown, RegExp]> = [
      ['', /start with 'sc2\.'/],
      [42, /not a string/],
      ['sc3.abc', /start with 'sc2\.'/],
      [`sc1.${body}`, /version 1 token/],
      ['sc2.not*base64', /not base64url/],
      [`sc2.${'A'.repeat(70_000)}`, /longer than/],
      ['sc2.AAAA', /damaged/],
      [`sc2.${flipped}`, /damaged/],
      [`sc2.${body.slice(0, -3)}`, /damaged/],
      ...(alias === undefined ? [] : [[`sc2.${alias}`, /damaged/] as [string, RegExp]]),
      [`sc2.${body}${last}`, /damaged/],
      [pack('{"v":2,'), /not JSON/],
      [pack({ ...good, v: 1 }), /^malformed replay token: v: /],
      [pack({ ...good, variant: 'v3' }), /unrecognized key.*variant/i],
      [pack({ ...good, scenario: { path: 'x.ts', hash: 'nothex' } }), /scenario\.hash/],
      [pack({ ...good, scenario: { ...good.scenario, extra: 1 } }), /scenario/],
      [pack({ ...good, schedule: { switches: [{ step: -1, thread: 'T0', op: 'start' }], steps: 3 } }), /schedule\.switches\.0\.step/],
      [pack({ ...good, schedule: { switches: [{ step: 2, thread: 'T0', op: 'start' }, { step: 1, thread: 'T1', op: 'start' }], steps: 3 } }), /switch steps must rise/],
      [pack({ ...good, schedule: { ...good.schedule, steps: 1e12 } }), /schedule\.steps/],
      [pack({ ...good, maxSteps: 2 ** 53 }), /maxSteps/],
      [pack({ ...good, prelude: Array.from({ length: 17 }, () => good.schedule) }), /prelude/],
      [pack({ ...good, kind: 'k'.repeat(600) }), /kind/],
      [pack({ ...good, kind: undefined } as Partial<TokenData>), /kind/],
    ];
    for (const [t, why] of bad) {
      const err = (() => {
        try {
          decodeToken(t);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err, String(t).slice(0, 80)).toBeInstanceOf(TokenError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/^malformed replay token: /);
      expect(msg).toMatch(why);
      expect(msg).not.toMatch(/[\n\r\u2028\u2029]/);
    }
    await expect(replayToken('garbage')).rejects.toThrow(TokenError);
  });

  it('refuse text that would forge lines of the report: a kind, thread or operation name with a control, line-break or bidirectional character', async () => {
    const l = await loadScenario(FIXTURE);
    const good = decodeToken(makeToken(l, (await explore(l.scenario, { strategy: 'dfs' })).findings[0]!));
    // Replay prints where a schedule stops fitting by its thread and operation names
    // (a thread that does not exist: followed leniently), and the kind that did not
    // reproduce: these would clear the line, and print a verdict of their own.
    const sw = good.schedule.switches;
    const at = (k: 'thread' | 'op', v: string): TokenData => ({ ...good, schedule: { ...good.schedule, switches: sw.map((x, i) => (i === sw.length - 1 ? { ...x, [k]: v } : x)) } });
    const last = `schedule.switches.${sw.length - 1}`;
    const hostile: Array<[TokenData, string]> = [
      [at('thread', '\u001b[2K\rT1\nseptcheck: the schedule ran clean'), `${last}.thread`],
      [at('thread', 'T\u202e1'), `${last}.thread`],
      [at('op', 'start\u0007'), `${last}.op`],
      [at('op', 'a\u2028b'), `${last}.op`],
      [{ ...good, kind: 'a\u2028b\nc' }, 'kind'],
      [{ ...good, kind: '\u009b2K' }, 'kind'],
    ];
    for (const [data, field] of hostile) {
      const err = (await replayToken(encodeToken(data)).catch((e: unknown) => e)) as Error;
      expect(err, field).toBeInstanceOf(TokenError);
      expect(err.message).toBe(`malformed replay token: ${field}: has a control, line-break or bidirectional character`);
    }
    // Plain names of any script are data like any other: followed, and named.
    const r = await replayToken(encodeToken(at('thread', 'vcpu-ß→1')));
    expect(r.diverged).toContain('vcpu-ß→1');

    // Nor is such a token made: a finding whose thread is named so gets none.
    const f = (await explore(l.scenario, { strategy: 'dfs' })).findings[0]!;
    const named = { ...f, schedule: { ...f.schedule, switches: f.schedule.switches.map((x) => ({ ...x, thread: `${x.thread}\n` })) } };
    expect(() => makeToken(l, named)).toThrow(/^cannot make a token: schedule\.switches\.0\.thread: has a control/);
  });
});
