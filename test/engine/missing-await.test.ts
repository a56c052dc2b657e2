// A primitive called without `await` is caught where it is made: a `missing-await`
// finding naming the thread and the call, never a step charged to another thread.
import { describe, expect, it } from 'vitest';
import { explore, type Program } from '../../src/engine/index.ts';
import { DEFINE_RWLOCK, Kernel, read_lock, read_unlock, write_lock, write_unlock, type rwlock_t } from '../../src/kernel/index.ts';

/** A vCPU fault path that takes mmu_lock for read, against a conversion taking it
 * for write. `forget`: the vCPU calls read_lock() without await. */
function faultAndConvert(forget: boolean): Program {
  return {
    name: forget ? 'fault-missing-await' : 'fault',
    setup(run) {
      const k = new Kernel(run);
      const mmu_lock: rwlock_t = DEFINE_RWLOCK(k, 'mmu_lock');
      k.kthread('vcpu0', async () => {
        if (forget) void read_lock(mmu_lock);
        else await read_lock(mmu_lock);
        await read_unlock(mmu_lock);
      }, { cpu: 0 });
      k.kthread('set_attributes', async () => {
        await write_lock(mmu_lock);
        await write_unlock(mmu_lock);
      }, { cpu: 1 });
    },
  };
}

describe('missing await', () => {
  it('names the thread and the call, in every schedule that reaches it', async () => {
    const r = await explore(faultAndConvert(true), { strategy: 'dfs', schedules: 1000, stopOnFirst: false, shrink: false });
    expect(r.findings.length).toBeGreaterThan(0);
    for (const f of r.findings) {
      expect(f.kind).toBe('missing-await');
      expect(f.details).toMatchObject({ thread: 'vcpu0', call: 'read_unlock(mmu_lock)', notAwaited: 'read_lock(mmu_lock)' });
      expect(f.thread).toBe('vcpu0');
    }
    // Never a bogus kernel splat charged to the conversion thread.
    expect(r.findings.map((f) => f.kind)).not.toContain('sleep-in-atomic');
  });

  it('the same code with its await is clean in every schedule', async () => {
    const r = await explore(faultAndConvert(false), { strategy: 'dfs', schedules: 1000, shrink: false });
    expect(r.findings).toEqual([]);
    expect(r.verdict.class).toBe('proved');
  });
});
