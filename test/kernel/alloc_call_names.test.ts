// The call an allocation is reported as (`kmalloc(64, GFP_KERNEL)`), made once per
// function, argument and flags and shared by every schedule (shared.ts), against
// the plain method (setup_sharing.fresh: made at each allocation): random blocking
// allocations under a spinlock, each a sleep-in-atomic report naming the call, in a
// random order (so a name cached under the wrong key shows), must be reported the
// same both ways. So must every allocation's key (`mem:OWNER/N`), likewise shared.
import seedrandom from 'seedrandom';
import { afterEach, describe, expect, it } from 'vitest';
import { defineScenario, explore } from '../../src/engine/index.ts';
import {
  __get_free_page,
  __GFP_ACCOUNT,
  __GFP_NOWARN,
  __GFP_ZERO,
  alloc_page,
  DEFINE_SPINLOCK,
  get_zeroed_page,
  GFP_KERNEL,
  Kernel,
  kmalloc,
  kmem_cache_alloc,
  kmem_cache_create,
  kmem_cache_zalloc,
  kzalloc,
  setup_sharing,
  spin_lock,
  spin_unlock,
} from '../../src/kernel/index.ts';

afterEach(() => {
  setup_sharing.fresh = false;
  setup_sharing.freeze = false;
});

const EXTRA = [0, __GFP_ZERO, __GFP_NOWARN, __GFP_ACCOUNT, __GFP_ZERO | __GFP_NOWARN];
const SIZES = [8, 64, 100, 4096];
const CACHES = ['kvm_mmu_page_header', 'pte_list_desc'];

/** The message of the report of allocation `i` of the sequence drawn from `seed`. */
async function reported(seed: number, n: number): Promise<string[]> {
  const rng = seedrandom.alea(`alloc_call_names:${seed}`);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const gfp = GFP_KERNEL | pick(EXTRA);
    const which = Math.floor(rng() * 7);
    const size = pick(SIZES);
    const cache = pick(CACHES);
    const s = defineScenario({
      name: 'alloc-in-atomic',
      expect: 'sleep-in-atomic',
      setup(run) {
        const k = new Kernel(run);
        const l = DEFINE_SPINLOCK(k, 'l');
        const c = kmem_cache_create(k, cache, 64);
        k.kthread('t', async () => {
          await spin_lock(l);
          if (which === 0) kmalloc(k, size, gfp);
          else if (which === 1) kzalloc(k, size, gfp);
          else if (which === 2) kmem_cache_alloc(c, gfp);
          else if (which === 3) kmem_cache_zalloc(c, gfp);
          else if (which === 4) alloc_page(k, gfp);
          else if (which === 5) __get_free_page(k, gfp);
          else get_zeroed_page(k, gfp);
          await spin_unlock(l);
        });
      },
    });
    const r = await explore(s, { strategy: 'dfs', schedules: 10 });
    out.push(r.findings.map((f) => f.message).join(' / '));
  }
  return out;
}

describe('allocation call names shared by every schedule', () => {
  it('reports what a name made at each allocation reports', async () => {
    for (let seed = 1; seed <= 4; seed++) {
      setup_sharing.fresh = true;
      const fresh = await reported(seed, 40);
      setup_sharing.fresh = false;
      setup_sharing.freeze = true;
      expect(await reported(seed, 40)).toEqual(fresh);
      // The reports name the call (so the comparison is of the names).
      expect(fresh.every((m) => /(kmalloc|kzalloc|kmem_cache_z?alloc|alloc_page|__get_free_page|get_zeroed_page)\(.*GFP_KERNEL/.test(m))).toBe(true);
    }
  });

  it('gives objects the keys a name made at each allocation gives', async () => {
    /** Keys of random allocations at set-up and by three threads, every schedule of a few. */
    const keys = async (seed: number): Promise<string[]> => {
      const rng = seedrandom.alea(`alloc_keys:${seed}`);
      const counts = [0, 1, 2, 3].map(() => Math.floor(rng() * 5));
      const out: string[] = [];
      const s = defineScenario({
        name: 'alloc-keys',
        expect: 'pass',
        setup(run) {
          const k = new Kernel(run);
          for (let i = 0; i < counts[0]!; i++) out.push(kmalloc(k, 64, GFP_KERNEL)!.key);
          for (const t of [1, 2, 3]) {
            k.kthread(`t${t}`, async () => {
              for (let i = 0; i < counts[t]!; i++) out.push(get_zeroed_page(k, GFP_KERNEL)!.key);
            });
          }
        },
      });
      await explore(s, { strategy: 'random', seed, schedules: 5 });
      return out;
    };
    for (let seed = 1; seed <= 20; seed++) {
      setup_sharing.fresh = true;
      const fresh = await keys(seed);
      setup_sharing.fresh = false;
      setup_sharing.freeze = true;
      expect(await keys(seed)).toEqual(fresh);
    }
  });
});
