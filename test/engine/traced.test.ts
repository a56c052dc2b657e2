// Traced runs and what reports are made of: events and stacks only when traced,
// exceptions with the place they were thrown, a wait that throws charged to its own
// thread, the state a failed check read before and after, a livelock's cycle once, a
// shrinker that never lengthens a finding, and a schedule followed through changed
// code.
import { describe, expect, it } from 'vitest';
import {
  Exploration,
  explore,
  followBlocks,
  followSchedule,
  followTraced,
  headline,
  loadScenario,
  scheduleDifference,
  shrinkFinding,
  type Program,
  type Run,
} from '../../src/engine/index.ts';

/** Two threads of `n` steps each; each step tells an event. */
function chatty(n = 2): Program {
  return {
    name: 'chatty',
    setup(run: Run) {
      for (const name of ['A', 'B']) {
        run.spawn(name, async () => {
          for (let i = 0; i < n; i++) {
            await run.point({ kind: 'op', obj: `${name}${i}` });
            if (run.tracing) run.event(`${name} did ${i}`);
          }
        });
      }
    },
  };
}

describe('traced runs', () => {
  it('record the events and stack of each step; an untraced run records neither', async () => {
    const x = new Exploration(chatty(), {});
    const plain = await x.runSchedule(followSchedule({ switches: [{ step: 0, thread: 'A', op: 'start' }], steps: 6 }, false));
    expect(plain.tracing).toBe(false);
    expect(plain.trace.some((ev) => ev.events !== undefined || ev.footprint !== undefined)).toBe(false);
    expect(plain.stackAt(1)).toBeNull();

    const traced = await x.runSchedule(followSchedule({ switches: [{ step: 0, thread: 'A', op: 'start' }], steps: 6 }, false), undefined, { trace: true });
    expect(traced.trace[1]!.events).toEqual(['A did 0']);
    expect(traced.trace[2]!.events).toEqual(['A did 1']);
    expect(traced.trace[0]!.events).toBeUndefined();
    // The stack of the point that began step 1 runs through this file.
    expect(traced.stackAt(1)).toMatch(/test\/engine\/traced\.test\.ts:\d+/);
    expect(traced.stackAt(0)).toBeNull(); // a thread's start has no point
  });
});

describe('exceptions have a location', () => {
  const throwsIn = (where: 'thread' | 'setup' | 'invariant'): Program => ({
    name: `throws-in-${where}`,
    setup(run) {
      if (where === 'setup') (undefined as unknown as { gmem: number }).gmem;
      run.spawn('vcpu0', async () => {
        await run.point({ kind: 'op' });
        if (where === 'thread') (undefined as unknown as { gmem: number }).gmem;
      });
      if (where === 'invariant') run.invariant('boom', () => (undefined as unknown as { gmem: string }).gmem);
    },
  });

  it.each(['thread', 'setup', 'invariant'] as const)('an exception in the %s carries its stack, down to this file', async (where) => {
    const r = await explore(throwsIn(where), { strategy: 'dfs', schedules: 2, shrink: false });
    const f = r.findings[0]!;
    expect(f.kind).toBe(`${where}-exception`);
    expect(f.message).toContain("Cannot read properties of undefined (reading 'gmem')");
    const stack = f.details?.stack as string[];
    expect(stack.length).toBeGreaterThan(0);
    // The innermost frame is the line of this file that threw; no engine frame shows.
    expect(stack[0]).toMatch(/test\/engine\/traced\.test\.ts:\d+:\d+\)?$/);
    expect(stack.join('\n')).not.toMatch(/src\/engine\//);
    expect(headline(f)).toMatch(new RegExp(`^${f.kind}: .*\\n {4}at test/engine/traced\\.test\\.ts:\\d+:\\d+`));
  });

  it("a wait condition that throws is its own thread's exception, not the running thread's", async () => {
    const p: Program = {
      name: 'bad-wait',
      setup(run) {
        run.spawn('conv', async () => {
          for (let i = 0; i < 3; i++) await run.point({ kind: 'step', obj: `conv${i}` });
        });
        run.spawn('vcpu0', async () => {
          await run.point({ kind: 'wait_event', obj: 'fault', waitsOn: () => (undefined as unknown as { gmem: string[] }).gmem });
        });
      },
    };
    const r = await explore(p, { strategy: 'dfs', schedules: 20, stopOnFirst: false, shrink: false });
    expect(r.findings.length).toBeGreaterThan(0);
    for (const f of r.findings) {
      expect(f.kind).toBe('thread-exception');
      expect(f.thread).toBe('vcpu0');
      expect(f.message).toMatch(/^thread vcpu0's wait in wait_event\(fault\) threw: Cannot read properties of undefined/);
      expect((f.details?.stack as string[])[0]).toMatch(/test\/engine\/traced\.test\.ts:\d+/);
    }
  });
});

describe('state difference', () => {
  it("shows what the failed check read, before the step that broke it and after", async () => {
    const { scenario } = await loadScenario('scenarios/examples/stale-leaf-split.ts');
    const f = (await explore(scenario, { strategy: 'dfs', schedules: 100 })).findings[0]!;
    expect(f.kind).toBe('invariant:zapped-stays-zapped');
    const st = f.state!;
    expect(st.source).toBe('check');
    const at = (key: string) => st.reads.findIndex((r) => r.key === key);
    // Before the splitter's write_lock step, the zapper had unmapped the leaf; after it, mapped.
    expect([st.before![at('obj:leaf.present')], st.after[at('obj:leaf.present')]]).toEqual(['false', 'true']);
    expect([st.before![at('cell:zapped')], st.after[at('cell:zapped')]]).toEqual(['true', 'true']);
  });
});

describe('a finding collected behind another (keep going)', () => {
  it('is shrunk and replayed traced up to its own kind: events and state difference', async () => {
    const p: Program = {
      name: 'two-kinds',
      tracked: true,
      setup(run) {
        const first = run.cell('first', false);
        const second = run.cell('second', 0);
        run.spawn('A', async () => {
          await run.point({ kind: 'one' });
          first.set(true);
          await run.point({ kind: 'two' });
          if (run.tracing) run.event('second goes to 2');
          second.set(2);
          await run.point({ kind: 'three' });
        });
        run.invariant('first', () => (first.get() ? 'first broke' : null));
        run.invariant('second', () => (second.get() === 2 ? 'second broke' : null));
      },
    };
    const r = await explore(p, { strategy: 'dfs', schedules: 5, stopOnFirst: false });
    expect(r.findings.map((f) => f.kind)).toEqual(['invariant:first', 'invariant:second']);
    const f = r.findings[1]!;
    expect(f.trace[f.step]!.events).toEqual(['second goes to 2']);
    expect(f.state).toMatchObject({ source: 'check', before: ['0'], after: ['2'] });
  });
});

describe('livelock', () => {
  it('names its cycle once, with where it starts and how often it ran', async () => {
    const p: Program = {
      name: 'spin',
      setup(run) {
        run.spawn('vcpu0', async () => {
          await run.point({ kind: 'enter' });
          for (;;) {
            await run.point({ kind: 'tdh_mem_page_aug', obj: 'S-EPT[0x40000 2M]' });
            await run.point({ kind: 'cond_resched' });
          }
        });
      },
    };
    const f = (await explore(p, { strategy: 'dfs', schedules: 1, maxSteps: 5000 })).findings[0]!;
    expect(f.kind).toBe('livelock');
    expect(f.details).toMatchObject({ repeating: ['vcpu0:tdh_mem_page_aug(S-EPT[0x40000 2M])', 'vcpu0:cond_resched'], from: 2, times: 2499 });
    expect(f.message).toBe(
      'livelock: no progress within 5000 steps; from step 2 the same 2 steps repeat 2499 times: vcpu0:tdh_mem_page_aug(S-EPT[0x40000 2M]) -> vcpu0:cond_resched',
    );
  });
});

describe('the shrinker', () => {
  it('never returns a longer schedule than it started from, even for fewer preemptions', async () => {
    // The check fails when B runs after A's first step (one preemption, short) or
    // after all of A (no preemption, long): fewer preemptions would cost steps.
    const p: Program = {
      name: 'two-ways',
      setup(run) {
        const s = { a: 0, seen: -1 };
        run.spawn('A', async () => {
          for (let i = 0; i < 20; i++) {
            await run.point({ kind: 'inc' });
            s.a++;
          }
        });
        run.spawn('B', async () => {
          await run.point({ kind: 'look' });
          s.seen = s.a;
        });
        run.invariant('seen', () => (s.seen === 1 || s.seen === 20 ? `B saw ${s.seen}` : null));
      },
    };
    const x = new Exploration(p, {});
    const short = await x.runSchedule(
      followSchedule({ switches: [{ step: 0, thread: 'A', op: 'start' }, { step: 2, thread: 'B', op: 'start' }], steps: 4 }, false),
    );
    const original = short.finding!;
    expect(original.message).toMatch(/^B saw 1/);
    const { finding } = await shrinkFinding(p, original);
    expect(finding.schedule.steps).toBeLessThanOrEqual(original.schedule.steps);
    expect(finding.minimalSteps).toBeLessThanOrEqual(finding.originalSteps!);
  });
});

describe('a schedule through changed code', () => {
  /** A takes `aSteps` steps, then B runs; the invariant fails when B ran while A had not finished. */
  const program = (aSteps: number, fixed: boolean): Program => ({
    name: 'changed',
    setup(run) {
      let aDone = false;
      let bad = false;
      run.spawn('A', async () => {
        for (let i = 0; i < aSteps; i++) await run.point({ kind: 'a', obj: String(i) });
        aDone = true;
      });
      run.spawn('B', async () => {
        await run.point({ kind: 'b' });
        if (!aDone && !fixed) bad = true;
      });
      run.invariant('order', () => (bad ? 'B ran inside A' : null));
    },
  });
  // A's first three steps, then B, whose step breaks the check: the run ends there.
  const schedule = { switches: [{ step: 0, thread: 'A', op: 'start' }, { step: 3, thread: 'B', op: 'start' }], steps: 5 };

  it('says where it diverged and follows it block by block', async () => {
    const before = await followTraced(program(5, false), { params: undefined }, schedule, [], false);
    expect(before.diverged).toBeNull();
    expect(before.run.finding?.kind).toBe('invariant:order');
    // A fix that runs past the token's end but matches it up to there: followed, no divergence.
    const longer = await followTraced(program(6, true), { params: undefined }, schedule, [], false);
    expect(longer.diverged).toBeNull();
    expect(longer.run.finding).toBeNull();
    expect(longer.run.step).toBeGreaterThan(schedule.steps);
    // A fix that takes steps out of A: the schedule no longer fits at step 2, where A
    // is done and B runs a step early.
    const after = await followTraced(program(1, true), { params: undefined }, schedule, [], false);
    expect(after.diverged).toBe('step 2: the schedule switches to B at step 3 for start, the code now to B at step 2 for start');
    expect(after.run.finding).toBeNull();
    // Block by block: A's block ends where A does, then B's.
    expect(after.run.trace.map((ev) => ev.thread).join('')).toBe('AABB');
    await expect(followTraced(program(1, true), { params: undefined }, schedule, [], true)).rejects.toThrow(/^step 2: /);
  });

  it('the difference between two schedules is named at the first switch that differs', () => {
    const got = { switches: [{ step: 0, thread: 'A', op: 'start' }, { step: 2, thread: 'B', op: 'start' }], steps: 6 };
    expect(scheduleDifference(got, schedule)).toBe('step 2: the schedule switches to B at step 3 for start, the code now to B at step 2 for start');
    const longer = { switches: [...schedule.switches, { step: 5, thread: 'A', op: 'a' }], steps: 7 };
    expect(scheduleDifference(longer, schedule)).toBe('step 5: the schedule has ended (5 steps), but the code now switches to A for a');
    expect(scheduleDifference(schedule, schedule)).toBeNull();
    expect(typeof followBlocks(schedule)).toBe('function');
  });
});
