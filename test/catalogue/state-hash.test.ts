// Incremental state hashing (issue 15): kvm_state_hash() reads the Zobrist hashes the
// model keeps up to date on each write; kvm_state_hash_walk() walks the model as the
// hash used to. On every catalogue scenario, under random, preemption-bounded dfs
// and fastcheck (which draws the parameters too), the two must tell exactly the
// same terminal states apart: the same number of distinct terminal states, and one
// walking hash for each incremental one and the reverse.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explore, loadScenario, type Program, type Run } from '../../src/engine/index.ts';
import { kvm_state_hash_walk } from '../../src/kvm/model/state_hash.ts';
import { td_of } from '../../scenarios/catalogue/_td.ts';

const DIR = 'scenarios/catalogue';
const files = readdirSync(DIR).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).sort();

describe('the incremental state hash tells the same terminal states apart as the walking one', () => {
  it.each(files)('%s', async (f) => {
    const { scenario } = await loadScenario(`${DIR}/${f}`);
    const schedules = scenario.bounds?.fixed === true ? scenario.bounds.schedules : 300;
    for (const o of [{ strategy: 'random', seed: 5 }, { strategy: 'dfs', preemptions: 2 }, { strategy: 'fastcheck', seed: 5 }] as const) {
      const incremental = new Map<string, string>();
      const walking = new Map<string, string>();
      const probe: Program = {
        ...scenario,
        stateHash(run: Run) {
          const a = scenario.stateHash!(run);
          const vm = td_of(run)!;
          const b = kvm_state_hash_walk(vm);
          const at = `${f}, ${o.strategy}`;
          expect(incremental.get(a) ?? b, at).toBe(b);
          expect(walking.get(b) ?? a, at).toBe(a);
          incremental.set(a, b);
          walking.set(b, a);
          return a;
        },
      };
      const r = await explore(probe, { ...o, schedules, stopOnFirst: false, shrink: false, maxSteps: scenario.bounds?.maxSteps });
      expect(r.stats.terminalStates).toBe(walking.size);
      expect(incremental.size).toBe(walking.size);
    }
  });
});
