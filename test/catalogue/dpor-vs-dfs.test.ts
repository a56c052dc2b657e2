// Partial-order reduction on the KVM model, checked against plain enumeration:
// under the same preemption bound, dpor must reach every terminal state dfs
// reaches on each fixed twin, in fewer schedules (the model's state is tracked, so
// it really reduces), and must find every catalogue bug.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explore, loadScenario, type Scenario } from '../../src/engine/index.ts';

const dir = 'scenarios/catalogue';
const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.startsWith('_') && !f.startsWith('cost-'));
const BOUND = 2;

async function terminalStates(s: Scenario, strategy: 'dpor' | 'dfs') {
  const states = new Set<string>();
  const probe = { ...s, stateHash: (run: Parameters<NonNullable<Scenario['stateHash']>>[0]) => {
    const h = s.stateHash!(run);
    states.add(h);
    return h;
  } };
  const r = await explore(probe, { strategy, preemptions: BOUND, schedules: 1e6, maxSteps: s.bounds?.maxSteps, stopOnFirst: false, shrink: false });
  return { states, r };
}

describe('dpor against dfs on the catalogue', () => {
  it.each(files.filter((f) => /-fixed\.ts$|mirror-root\.ts$/.test(f)))('%s: same terminal states, fewer schedules', async (f) => {
    const { scenario } = await loadScenario(`${dir}/${f}`);
    expect(scenario.stateHash).toBeDefined();
    const dpor = await terminalStates(scenario, 'dpor');
    const dfs = await terminalStates(scenario, 'dfs');
    // Complete within the bound, or for every schedule when the bound cut no choice.
    expect([`within preemption bound ${BOUND}`, 'yes']).toContain(dfs.r.stats.complete);
    expect(dpor.r.findings).toEqual([]);
    expect([...dpor.states].sort()).toEqual([...dfs.states].sort());
    expect(scenario.tracked).toBe(true);
    expect(dpor.r.stats.dpor).toMatch(/^explored \d+ schedules .*complete within preemption bound 2$/);
    expect(dpor.r.stats.schedules).toBeLessThan(dfs.r.stats.schedules);
    // The three-thread twin dpamt-v4-08-fixed is the largest: dfs runs about 19,000
    // schedules (some two minutes on a loaded machine) against dpor's 4,652.
  }, 600_000);

  it.each(files.filter((f) => !/-fixed\.ts$|mirror-root\.ts$/.test(f)))('%s: dpor finds the bug', async (f) => {
    const { scenario } = await loadScenario(`${dir}/${f}`);
    // A bug whose interleaving needs more preemptions says so in its bounds
    // (invalidate-range-latest: three).
    const preemptions = Math.max(BOUND, scenario.bounds?.preemptions ?? BOUND);
    const r = await explore(scenario, { strategy: 'dpor', preemptions, schedules: 1e6, maxSteps: scenario.bounds?.maxSteps, shrink: false });
    expect(r.findings[0]?.kind).toBe(scenario.expect);
  });
});
