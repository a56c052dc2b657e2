// Incremental state hashing (issue 15), after every step of random KVM programs
// (test/fixtures/kvm-programs.ts): the Zobrist hash kvm_state_hash() reads and the
// hash of a walk of the model (kvm_state_hash_walk()) must tell exactly the same
// states apart, one for one, including the states in between (tables being split,
// SPTEs frozen, S-EPT entries blocked).
import { describe, expect, it } from 'vitest';
import { explore, type Program } from '../../src/engine/index.ts';
import { kvm_state_hash, kvm_state_hash_walk } from '../../src/kvm/model/state_hash.ts';
import { kvm_plan_setup, randomKvmProgram } from '../fixtures/kvm-programs.ts';

describe('incremental and walking state hashes agree after every step', () => {
  for (let chunk = 0; chunk < 40; chunk += 10) {
    it(`random KVM programs ${chunk + 1}..${chunk + 10}`, async () => {
      let states = 0;
      for (let seed = chunk + 1; seed <= chunk + 10; seed++) {
        const base = randomKvmProgram(seed);
        const incremental = new Map<string, string>();
        const walking = new Map<string, string>();
        const p: Program = {
          name: base.name,
          tracked: true,
          setup(run) {
            const vm = kvm_plan_setup(run, base.plan);
            // A check that reads the model after every step (not a tracked one: it
            // must run every time).
            run.invariant('hashes', () => {
              const a = kvm_state_hash(vm);
              const b = kvm_state_hash_walk(vm);
              expect(incremental.get(a) ?? b, base.name).toBe(b);
              expect(walking.get(b) ?? a, base.name).toBe(a);
              incremental.set(a, b);
              walking.set(b, a);
              return null;
            });
          },
        };
        const r = await explore(p, { strategy: 'random', seed, schedules: 40, maxSteps: 500, stopOnFirst: false, shrink: false });
        expect(r.findings.filter((f) => f.kind === 'invariant-exception')).toEqual([]);
        expect(incremental.size).toBe(walking.size);
        states += walking.size;
      }
      // The programs reach many states: the comparison means something.
      expect(states).toBeGreaterThan(50);
    });
  }
});
