// Whatever a scenario's code throws or returns, exploring it ends in a finding of
// that scenario, never in an exception out of explore().
import { describe, expect, it } from 'vitest';
import { describeThrown, explore, oneLine, safeJson, type Program, type Run } from '../../src/engine/index.ts';

const nullProto = () => Object.create(null) as object;
const badToString = () => ({ toString: () => { throw new Error('toString exploded'); } });
const badMessage = () => new Proxy(new Error('x'), { get: () => { throw new Error('getter exploded'); } });

/** A program with two threads taking a few points each; `patch` breaks one part. */
function program(patch: { thread?: () => never; setup?: () => never; invariant?: () => unknown; stateHash?: () => unknown }): Program {
  return {
    name: 'broken',
    setup(run: Run) {
      if (patch.setup) patch.setup();
      for (const name of ['A', 'B']) {
        run.spawn(name, async () => {
          await run.point({ kind: 'op1', obj: name });
          if (patch.thread && name === 'B') patch.thread();
          await run.point({ kind: 'op2', obj: name });
        });
      }
      if (patch.invariant) run.invariant('inv', patch.invariant as never);
    },
    ...(patch.stateHash ? { stateHash: patch.stateHash as never } : {}),
  };
}

const thrown: [string, () => unknown, RegExp][] = [
  ['a null-prototype object', nullProto, /a value that cannot be printed \(an object with a null prototype\)/],
  ['an object whose toString throws', badToString, /a value that cannot be printed \(an Object\)/],
  ['an Error whose properties throw', badMessage, /cannot be printed/],
  ['a Symbol', () => Symbol('s'), /Symbol\(s\)/],
  ['undefined', () => undefined, /^undefined$/],
  ['an Error with a multi-line message', () => new Error('first\nsecond'), /^first$/],
];

describe('a scenario that throws anything', () => {
  it.each(thrown)('a thread throwing %s is a thread-exception finding', async (_, make, message) => {
    const r = await explore(program({ thread: () => { throw make(); } }), { strategy: 'dfs', schedules: 5 });
    const f = r.findings[0]!;
    expect(f.kind).toBe('thread-exception');
    expect(f.message).toBe(`thread B threw: ${describeThrown(make())}`);
    expect(describeThrown(make())).toMatch(message);
  });

  it.each(thrown)('a setup throwing %s is a setup-exception finding', async (_, make) => {
    const r = await explore(program({ setup: () => { throw make(); } }), { strategy: 'random', schedules: 3 });
    expect(r.findings[0]?.kind).toBe('setup-exception');
    expect(r.findings[0]!.message).toBe(`setup threw for params undefined: ${describeThrown(make())}`);
  });

  it.each(thrown)('an invariant throwing %s is an invariant-exception finding', async (_, make) => {
    const r = await explore(program({ invariant: () => { throw make(); } }), { strategy: 'dfs', schedules: 5 });
    expect(r.findings[0]?.kind).toBe('invariant-exception');
    expect(r.findings[0]!.message).toBe(`invariant inv threw: ${describeThrown(make())} (after step ${r.findings[0]!.step})`);
  });

  it.each([42, {}, { kind: 7, message: 'x' }, [1]])('an invariant returning %j is an invariant-exception finding', async (v) => {
    const r = await explore(program({ invariant: () => v }), { strategy: 'dfs', schedules: 5 });
    expect(r.findings[0]?.kind).toBe('invariant-exception');
    expect(r.findings[0]!.message).toBe(`invariant inv returned ${JSON.stringify(v)}, not null, a message or {kind, message} (after step ${r.findings[0]!.step})`);
  });

  it('an invariant returning a finding keeps its kind', async () => {
    const r = await explore(program({ invariant: () => ({ kind: 'mine', message: 'hello' }) }), { strategy: 'dfs', schedules: 5 });
    expect(r.findings[0]?.kind).toBe('mine');
  });

  it.each(thrown)('a stateHash throwing %s is an invariant-exception finding', async (_, make) => {
    const r = await explore(program({ stateHash: () => { throw make(); } }), { strategy: 'dfs', schedules: 5 });
    expect(r.findings[0]?.kind).toBe('invariant-exception');
    expect(r.findings[0]!.message).toBe(`stateHash threw: ${describeThrown(make())}`);
    // Found on the first schedule, at its end.
    expect(r.stats.schedules).toBe(1);
    expect(r.findings[0]!.schedule.steps).toBe(6);
  });

  it('a stateHash returning a non-string is an invariant-exception finding', async () => {
    const r = await explore(program({ stateHash: () => 42 }), { strategy: 'dfs', schedules: 5 });
    expect(r.findings[0]?.message).toBe('stateHash returned 42, not a string');
  });

  it('parameters that are not JSON still make a one-line setup-exception', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const params of [{ n: 10n }, cyclic]) {
      const r = await explore(program({ setup: () => { throw new Error('no'); } }), { strategy: 'random', schedules: 1, params });
      expect(r.findings[0]?.kind).toBe('setup-exception');
      expect(r.findings[0]!.message).toBe(`setup threw for params ${safeJson(params)}: no`);
    }
    expect(safeJson({ n: 10n })).toBe('{"n":"10n"}');
    expect(safeJson(cyclic)).toBe('(an Object that is not JSON)');
  });
});

describe('oneLine', () => {
  it('escapes every JavaScript line terminator and control character', () => {
    const s = oneLine('a\nb\rc\u2028d\u2029e\u0000f\u0085g');
    expect(s).toBe('a\\nb\\u000dc\\u2028d\\u2029e\\u0000f\\u0085g');
    expect(s).not.toMatch(/[\n\r\u2028\u2029\u0000-\u001f\u0085]/);
  });
});
