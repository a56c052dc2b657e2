// KASAN and kmemleak: a use after an RCU-freed object, a double free and a leak are
// findings reported in the kernel's words, and each fixed twin is proved clean by
// dfs and dpor. Plus the allocator API's own rules.
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/index.ts';
import {
  alloc_pages,
  call_rcu,
  GFP_KERNEL,
  kasan_check_read,
  kfree,
  kmalloc,
  kmem_cache_alloc,
  kmem_cache_create,
  kmem_cache_free,
  kmemleak_not_leak,
  rcu_read_lock,
  rcu_read_unlock,
  synchronize_rcu,
  __free_pages,
  type kmem_obj,
} from '../../src/kernel/index.ts';
import { putPage, rcuReader } from '../fixtures/kernel-memory.ts';
import { dfs, program } from './helpers.ts';

const EXHAUSTIVE = { schedules: 1e6 } as const;
const STRATEGIES = ['dfs', 'dpor'] as const;

describe('slab-use-after-free after an RCU grace period', () => {
  for (const strategy of STRATEGIES) {
    it(`${strategy}: a reader that drops rcu_read_lock() early reads a kfree_rcu()'d page; the fix is proved clean`, async () => {
      const r = await explore(rcuReader(false), { strategy, ...EXHAUSTIVE });
      const f = r.findings[0]!;
      expect(f.kind).toBe('use-after-free');
      expect(f.message).toMatch(/^BUG: KASAN: slab-use-after-free in tdp_mmu_walk: Read of size 8 at addr ffff8880[0-9a-f]{8} by task reader\/1000$/);
      const lines = f.report!.split('\n');
      expect(lines[1]).toBe('BUG: KASAN: slab-use-after-free in tdp_mmu_walk');
      expect(f.report).toContain('Allocated by task 0:\n kmalloc\n');
      expect(f.report).toMatch(/Freed by task 10\d\d:\n kfree\n rcu_do_batch\n/);
      expect(f.report).toContain('Last potentially related work creation:\n kfree_rcu\n tdp_mmu_replace\n');
      expect(f.report).toContain('which belongs to the cache kmalloc-64 of size 64');
      expect(f.report).toContain('freed 64-byte region [ffff8880');
      for (const b of [0, 1, undefined]) {
        const fixed = await explore(rcuReader(true), { strategy, ...EXHAUSTIVE, preemptions: b });
        expect(fixed.findings, `bound ${b}`).toEqual([]);
        expect(fixed.verdict.class).toBe('proved');
      }
    });
  }

  it('call_rcu() on the object itself names call_rcu as the related work', async () => {
    const r = await dfs(
      program('call-rcu', (k) => {
        const sp = kmalloc(k, 64, GFP_KERNEL)!;
        k.kthread('zap', async function tdp_mmu_zap_root() {
          call_rcu(sp, (head: kmem_obj) => kfree(head));
          await synchronize_rcu();
          await rcu_read_lock();
          kasan_check_read(sp, 8, 'tdp_iter_next');
          await rcu_read_unlock();
        });
      }),
    );
    const f = r.findings[0]!;
    expect(f.kind).toBe('use-after-free');
    expect(f.report).toContain('BUG: KASAN: slab-use-after-free in tdp_iter_next');
    expect(f.report).toContain('Last potentially related work creation:\n call_rcu\n tdp_mmu_zap_root\n');
  });
});

describe('double-free', () => {
  for (const strategy of STRATEGIES) {
    it(`${strategy}: two puts that both see zero free the page twice; refcount_dec_and_test() is proved clean`, async () => {
      const r = await explore(putPage('double'), { strategy, ...EXHAUSTIVE });
      const f = r.findings[0]!;
      expect(f.kind).toBe('double-free');
      expect(f.message).toMatch(/^BUG: KASAN: double-free in tdp_mmu_put_page: Free of addr ffff8880[0-9a-f]{8} by task vcpu[01]\/100[01]$/);
      expect(f.report).toMatch(/Freed by task 100[01]:\n kfree\n tdp_mmu_put_page\n/);
      expect(f.report).toContain(' kasan_report_invalid_free\n kfree\n tdp_mmu_put_page\n');
      const fixed = await explore(putPage('fixed'), { strategy, ...EXHAUSTIVE });
      expect(fixed.findings).toEqual([]);
      expect(fixed.verdict.class).toBe('proved');
    });
  }

  it('kmem_cache_free() and __free_pages() twice are double frees too', async () => {
    for (const twice of [
      (k: Parameters<Parameters<typeof program>[1]>[0]) => {
        const c = kmem_cache_create(k, 'pte_list_desc', 32);
        const o = kmem_cache_alloc(c, GFP_KERNEL)!;
        kmem_cache_free(c, o);
        kmem_cache_free(c, o);
      },
      (k: Parameters<Parameters<typeof program>[1]>[0]) => {
        const p = alloc_pages(k, GFP_KERNEL, 1)!;
        __free_pages(p, 1);
        __free_pages(p, 1);
      },
    ]) {
      const r = await dfs(program('twice', (k) => void k.kthread('t', () => twice(k))));
      expect(r.findings[0]?.kind).toBe('double-free');
    }
  });
});

describe('memory-leak (kmemleak)', () => {
  for (const strategy of STRATEGIES) {
    it(`${strategy}: two puts that both read two never free a page that must be freed; the fix is proved clean`, async () => {
      const r = await explore(putPage('leak'), { strategy, ...EXHAUSTIVE });
      const f = r.findings[0]!;
      expect(f.kind).toBe('memory-leak');
      expect(f.report).toMatch(/^kmemleak: 1 new suspected memory leaks \(see \/sys\/kernel\/debug\/kmemleak\)\nunreferenced object 0xffff8880[0-9a-f]{8} \(size 128\):\n  comm "swapper", pid 0, jiffies \d+\n  backtrace \(kmalloc-128\):\n    kmalloc\n/);
      const fixed = await explore(putPage('fixed'), { strategy, ...EXHAUSTIVE });
      expect(fixed.findings).toEqual([]);
      expect(fixed.verdict.class).toBe('proved');
    });
  }

  it('with kmemleak off only must-free objects count; on, every object not exempted', async () => {
    const body = (k: Parameters<Parameters<typeof program>[1]>[0]) => {
      k.kthread('t', () => {
        kmalloc(k, 64, GFP_KERNEL);
        kmemleak_not_leak(kmalloc(k, 32, GFP_KERNEL));
      });
    };
    expect((await dfs(program('off', body))).findings).toEqual([]);
    const on = await dfs(program('on', body, { kmemleak: true }));
    expect(on.findings[0]?.kind).toBe('memory-leak');
    expect(on.findings[0]?.report).toContain('(size 64):');
    expect(on.findings[0]?.report).not.toContain('(size 32):');
  });
});

describe('the allocator API', () => {
  it('kfree(NULL) is a no-op; kmem_cache_free() into another cache throws', async () => {
    const r = await dfs(
      program('api', (k) => {
        k.kthread('t', () => {
          kfree(null);
          const a = kmem_cache_create(k, 'a', 16);
          const b = kmem_cache_create(k, 'b', 16);
          kmem_cache_free(b, kmem_cache_alloc(a, GFP_KERNEL)!);
        });
      }),
    );
    expect(r.findings[0]?.kind).toBe('thread-exception');
    expect(r.findings[0]?.message).toContain('kmem_cache_free(b): object mem:t/1 belongs to cache a');
  });

  it('writes to a live object are read back; fields of one object are separate footprints', async () => {
    const r = await dfs(
      program('fields', (k) => {
        k.kthread('t', () => {
          const o = kmalloc(k, 64, GFP_KERNEL)!;
          o.write('level', 2);
          if (o.read('level') !== 2) throw new Error('lost write');
          kfree(o);
        });
      }),
    );
    expect(r.findings).toEqual([]);
  });
});
