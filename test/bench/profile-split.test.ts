// The bench's profile split: each sample is charged to what it ran, from its stack.
import { describe, expect, it } from 'vitest';
import { category } from '../../scripts/bench/model.ts';

const ROOT = 'file:///work/septcheck';
let id = 0;
/** A stack, innermost frame first, from `name@path` frames. */
function stack(...frames: string[]) {
  return frames.map((f) => {
    const [functionName, path] = f.split('@') as [string, string | undefined];
    return { id: ++id, callFrame: { functionName, url: path === undefined ? '' : `${ROOT}/${path}` } };
  });
}

describe('profile split', () => {
  it("charges what the engine's execute() calls outside the engine to the set-up", () => {
    expect(category(stack('kvm_create_vm@src/kvm/virt/kvm/kvm_main.ts', 'setup@scenarios/catalogue/_boundary.ts', 'execute@src/engine/explore.ts', 'runSchedule@src/engine/explore.ts'))).toBe('setup');
    expect(category(stack('setup@scenarios/catalogue/_boundary.ts', 'execute@src/engine/explore.ts'))).toBe('setup');
  });

  it("charges the run's constructor and start(), and the model steps start() takes, elsewhere", () => {
    expect(category(stack('Run@src/engine/run.ts', 'execute@src/engine/explore.ts'))).toBe('engine');
    expect(category(stack('tdp_mmu_set_spte@src/kvm/arch/x86/kvm/mmu/tdp_mmu.ts', 'decide@src/engine/run.ts', 'start@src/engine/run.ts', 'execute@src/engine/explore.ts'))).toBe('model');
    expect(category(stack('tdp_mmu_set_spte@src/kvm/arch/x86/kvm/mmu/tdp_mmu.ts', 'decide@src/engine/run.ts'))).toBe('model');
  });

  it('keeps GC, hashing and invariants apart from the model', () => {
    expect(category(stack('(garbage collector)'))).toBe('gc');
    expect(category(stack('z_runs@src/kvm/model/interval_map.ts', 'set@src/kvm/model/interval_map.ts', 'decide@src/engine/run.ts'))).toBe('hashing');
    expect(category(stack('private_memory_lost@src/kvm/invariants/private.ts', 'checkInvariant@src/engine/guard.ts', 'decide@src/engine/run.ts'))).toBe('invariants');
    expect(category(stack('drain@src/engine/strategies/random.ts', 'decide@src/engine/run.ts'))).toBe('engine');
  });
});
