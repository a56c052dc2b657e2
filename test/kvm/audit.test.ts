// The footprint audit (audit.ts) over random schedules of the catalogue's scenarios
// and of random KVM programs: no step changes model state it did not record a write
// of. (Missed reads are what the dpor-against-dfs differential test looks for.)
import { readdirSync } from 'node:fs';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { loadScenario, Run, type Program } from '../../src/engine/index.ts';
import { td_of } from '../../scenarios/catalogue/_td.ts';
import { kvm_plan_setup, randomKvmProgram } from '../fixtures/kvm-programs.ts';
import { accept_split, private_fault, punch_hole } from '../fixtures/kvm-faults.ts';
import { collapse, racing_links, split_enomem, vm_of } from '../fixtures/kvm-lifetimes.ts';
import { install_model_audit, type model_audit } from './audit.ts';
import type { kvm } from './kvm_test_api.ts';

const SCHEDULES = 8;

/** Runs `schedules` seeded random schedules of `setup`, recording footprints, and
 * returns what the audit found. */
async function audit(name: string, setup: (run: Run) => kvm, schedules = SCHEDULES, maxSteps = 5000): Promise<string[]> {
  const problems: string[] = [];
  for (let s = 0; s < schedules; s++) {
    const rng = seedrandom.alea(`${name}:${s}`);
    const run = new Run((cp) => Math.floor(rng() * cp.enabled.length), { maxSteps, shared: new Map(), record: true, keepGoing: true });
    let a: model_audit | null = null;
    try {
      a = install_model_audit(run, setup(run));
    } catch (e) {
      problems.push(`${name}: setup threw ${String(e)}`);
      continue;
    }
    await run.start();
    problems.push(...a.problems.map((p) => `${name} schedule ${s}: ${p}`));
  }
  return problems;
}

describe('every change to model state is a recorded write', () => {
  const dir = 'scenarios/catalogue';
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.startsWith('_') && !f.startsWith('cost-'));
  it.each(files)('%s', async (f) => {
    const { scenario } = await loadScenario(`${dir}/${f}`);
    const p = scenario as Program;
    expect(await audit(f, (run) => (p.setup(run, scenario.params), td_of(run)!), SCHEDULES, scenario.bounds?.maxSteps)).toEqual([]);
  });

  // Injected faults (the fault sites, wait_for_sept_zap) and freed tables.
  it.each([
    punch_hole({ seamcall_busy: 2 }),
    private_fault({ seamcall_busy: 1, slab: 1, page_alloc: 1 }),
    accept_split({ seamcall_busy: 1 }),
    accept_split({ demote: 1 }),
    split_enomem(true, { slab: 1 }),
    racing_links(true),
    collapse('now', 'rcu'),
    collapse('call_rcu', 'rcu'),
  ].map((s) => [`${s.name} ${JSON.stringify(s.faults ?? {})}`, s] as const))('%s', async (name, s) => {
    expect(await audit(name, (run) => (s.setup(run, undefined), vm_of(run)!), 16, 1500)).toEqual([]);
  });

  it('random KVM programs', async () => {
    const problems: string[] = [];
    for (let seed = 1; seed <= 24; seed++) problems.push(...(await audit(`kvm-random-${seed}`, (run) => kvm_plan_setup(run, randomKvmProgram(seed).plan), 4)));
    expect(problems).toEqual([]);
  }, 120_000);
});
