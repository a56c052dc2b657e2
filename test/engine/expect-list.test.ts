// `expect` may list the symptoms of one bug (issue "open model", item 5): a bug that
// shows as either of two kinds, depending on the order, meets its expectation with
// either, and with nothing else.
import { describe, expect, it } from 'vitest';
import { defineScenario, expectedKinds, meetsExpect } from '../../src/engine/index.ts';
import { checkLoaded } from '../../scripts/lib/check-scenario.ts';
import { judge } from '../../scripts/lib/verdict.ts';
import { schemaProblem } from '../../scripts/lib/scenario-schema.ts';

const two = ['invariant:liveness', 'invariant:invalidation'] as const;

describe('expect: a list of kinds', () => {
  it('defineScenario keeps the list; either kind meets it, another does not, nor clean', () => {
    const s = defineScenario({ name: 'x', expect: two, setup() {} });
    expect(expectedKinds(s.expect)).toEqual([...two]);
    expect(meetsExpect('invariant:liveness', s.expect)).toBe(true);
    expect(meetsExpect('invariant:invalidation', s.expect)).toBe(true);
    expect(meetsExpect('invariant:private', s.expect)).toBe(false);
    expect(judge('invariant:invalidation', s.expect)).toEqual({ verdict: 'finding', met: true });
    expect(judge('deadlock', s.expect)).toEqual({ verdict: 'finding', met: false });
    expect(judge('clean', s.expect)).toEqual({ verdict: 'clean', met: false });
    // A single kind is unchanged.
    expect(defineScenario({ name: 'y', expect: 'deadlock', setup() {} }).expect).toBe('deadlock');
  });

  it('every kind of the list is checked: unknown kinds, clean among others, invariants the scenario never registers', () => {
    expect(schemaProblem(defineScenario({ name: 'x', expect: ['deadlock', 'lock-order-inversion'], setup() {} }))).toBeNull();
    expect(schemaProblem(defineScenario({ name: 'x', expect: ['deadlock', 'deadlok'], setup() {} }))).toMatch(/field 'expect'.*unknown kind 'deadlok': did you mean 'deadlock'\?/);
    expect(schemaProblem(defineScenario({ name: 'x', expect: ['clean', 'deadlock'], setup() {} }))).toMatch(/'clean' cannot be one of several expected kinds/);
    const registers = (name: string) => defineScenario({ name: 'x', expect: ['deadlock', `invariant:${name}`], setup: (run) => run.invariant('mine', () => null) });
    expect(checkLoaded(registers('mine')).kind).toBe('ok');
    const c = checkLoaded(registers('theirs'));
    expect(c.kind).toBe('input');
    expect('message' in c ? c.message : '').toMatch(/field 'expect'.*theirs/);
  });
});
