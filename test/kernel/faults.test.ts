// Fault injection as a choice of the search: failslab, fail_page_alloc and memory
// cache top-ups fail only where a scenario's budget lets an injector arm them, and
// every strategy, the shrinker, tokens and regressions handle the injector's step
// as an ordinary scheduling choice.
import { describe, expect, it } from 'vitest';
import {
  defineRegression,
  defineScenario,
  explore,
  faultsInjected,
  loadScenario,
  makeToken,
  renderTrace,
  replayToken,
  shrinkFinding,
  type Finding,
  type Run,
} from '../../src/engine/index.ts';
import {
  __get_free_page,
  __GFP_NOFAIL,
  alloc_pages,
  free_page,
  free_pages,
  GFP_KERNEL,
  Kernel,
  kfree,
  kmalloc,
  kmem_cache_alloc,
  kmem_cache_create,
  kmem_cache_free,
  kvm_mmu_memory_cache,
  kvm_mmu_topup_memory_cache,
} from '../../src/kernel/index.ts';
import { freeOnError, unlockOnError } from '../fixtures/kernel-memory.ts';

const EXHAUSTIVE = { schedules: 1e6 } as const;
const injected = (f: Finding) => f.trace.filter((e) => e.result?.includes('[injected]')).length;

describe('an error path reached only by an injected fault', () => {
  for (const strategy of ['dfs', 'dpor'] as const) {
    it(`${strategy}: without faults the buggy path is never taken (proved clean)`, async () => {
      const r = await explore(unlockOnError(false), { strategy, ...EXHAUSTIVE });
      expect(r.findings).toEqual([]);
      expect(r.verdict.class).toBe('proved');
    });

    for (const bound of [0, 1, undefined]) {
      it(`${strategy}, preemption bound ${bound ?? 'none'}: finds the skipped unlock with { slab: 1 }, proves the fix`, async () => {
        const bug = await explore(unlockOnError(false, { slab: 1 }), { strategy, ...EXHAUSTIVE, preemptions: bound });
        const f = bug.findings[0]!;
        expect(f.kind).toBe('lock-held-at-exit');
        // The injector's step is a switch, and costs no preemption (bound 0 finds it).
        expect(f.schedule.switches.some((s) => s.thread === 'failslab#1' && s.op === 'fault_inject')).toBe(true);
        expect(renderTrace(f.trace)).toMatch(/failslab#1\s+fault_inject\(slab\)/);
        expect(renderTrace(f.trace)).toContain('kmalloc(64, GFP_KERNEL) = NULL [injected]');
        const fixed = await explore(unlockOnError(true, { slab: 1 }), { strategy, ...EXHAUSTIVE, preemptions: bound });
        expect(fixed.findings).toEqual([]);
        expect(fixed.verdict.class).toBe('proved');
      });
    }
  }

  it('a schedule that runs the injector after every site injects nothing', async () => {
    const seen = new Set<number>();
    const s = unlockOnError(true, { slab: 1 });
    const r = await explore({ ...s, stateHash: (run) => String(seen.add(faultsInjected(run)).size) }, { strategy: 'dfs', ...EXHAUSTIVE, stopOnFirst: false });
    expect(r.findings).toEqual([]);
    expect([...seen].sort()).toEqual([0, 1]);
  });

  it('dpor explores fewer schedules than dfs and reaches the same terminal states', async () => {
    const dfs = await explore(unlockOnError(true, { slab: 1 }, 3), { strategy: 'dfs', ...EXHAUSTIVE });
    const dpor = await explore(unlockOnError(true, { slab: 1 }, 3), { strategy: 'dpor', ...EXHAUSTIVE });
    expect(dpor.verdict.class).toBe('proved');
    expect(dpor.stats.terminalStates).toBe(dfs.stats.terminalStates);
    expect(dpor.stats.schedules).toBeLessThan(dfs.stats.schedules);
  });

  for (const strategy of ['random', 'pct', 'pos', 'urw', 'guided', 'fastcheck', 'portfolio'] as const) {
    it(`${strategy} draws the injection`, async () => {
      const r = await explore(unlockOnError(false, { slab: 1 }), { strategy, schedules: 300, seed: 3 });
      expect(r.findings[0]?.kind).toBe('lock-held-at-exit');
      expect(injected(r.findings[0]!)).toBe(1);
    });
  }

  it('shrinking keeps the one injected fault the leak needs, of a budget of two', async () => {
    // A probe allocation whose failure is handled, then the error path that leaks.
    const s = defineScenario({
      name: 'two-sites',
      expect: 'memory-leak',
      tracked: true,
      checks: { kmemleak: true },
      faults: { slab: 2 },
      setup(run) {
        const k = new Kernel(run);
        k.kthread('vcpu0', async () => {
          kfree(kmalloc(k, 32, GFP_KERNEL));
          await run.point({ kind: 'work', footprint: [] });
          const sp = kmalloc(k, 64, GFP_KERNEL);
          await run.point({ kind: 'work', footprint: [] });
          const spt = kmalloc(k, 4096, GFP_KERNEL);
          if (spt === null) return; // leaks sp
          kfree(spt);
          kfree(sp);
        });
      },
    });
    let worst: Finding | null = null;
    for (let seed = 1; seed <= 40 && worst === null; seed++) {
      const r = await explore(s, { strategy: 'random', schedules: 50, seed, shrink: false });
      const f = r.findings[0];
      if (f !== undefined && injected(f) > 1) worst = f;
    }
    expect(worst).not.toBeNull();
    const { finding } = await shrinkFinding(s, worst!);
    expect(finding.kind).toBe('memory-leak');
    expect(injected(finding)).toBe(1);
    expect(renderTrace(finding.trace)).toContain('kmalloc(4096, GFP_KERNEL) = NULL [injected]');
  });

  it('a token records the injection and replays it; a regression pins it', async () => {
    const l = await loadScenario('test/fixtures/scenarios/kmalloc-errpath.scenario.ts');
    const r = await explore(l.scenario, { strategy: 'dpor', ...EXHAUSTIVE });
    const f = r.findings[0]!;
    const back = await replayToken(makeToken(l, f));
    expect(back.finding?.kind).toBe('lock-held-at-exit');
    expect(renderTrace(back.finding!.trace)).toBe(renderTrace(f.trace));
    const reg = defineRegression(l.scenario, { name: 'kmalloc-errpath-pinned', kind: f.kind, schedule: f.schedule });
    const pinned = await explore(reg, { strategy: 'replay' });
    expect(pinned.findings[0]?.kind).toBe('lock-held-at-exit');
    expect(renderTrace(pinned.findings[0]!.trace)).toContain('= NULL [injected]');
  });
});

describe('fault sites', () => {
  /** One task runs `body` with { slab: 1, page_alloc: 1 }; the traces of every schedule. */
  const sites = async (body: (k: Kernel, run: Run) => Promise<unknown>) => {
    const traces: string[] = [];
    const s = defineScenario({
      name: 'sites',
      expect: 'clean',
      faults: { slab: 1, page_alloc: 1 },
      setup(run) {
        const k = new Kernel(run);
        k.kthread('task', () => body(k, run));
      },
      stateHash(run) {
        traces.push(renderTrace(run.trace));
        return String(faultsInjected(run));
      },
    });
    const r = await explore(s, { strategy: 'dfs', ...EXHAUSTIVE, stopOnFirst: false });
    expect(r.findings).toEqual([]);
    return traces.join('\n----\n');
  };

  it('kmem_cache_alloc is a failslab site, alloc_pages and __get_free_page are fail_page_alloc sites', async () => {
    const t = await sites(async (k, run) => {
      const c = kmem_cache_create(k, 'kvm_mmu_page_header', 184);
      await run.point({ kind: 'alloc', footprint: [] });
      const sp = kmem_cache_alloc(c, GFP_KERNEL);
      if (sp !== null) kmem_cache_free(c, sp);
      await run.point({ kind: 'alloc', footprint: [] });
      const p = alloc_pages(k, GFP_KERNEL, 9);
      if (p !== null) free_pages(p, 9);
      await run.point({ kind: 'alloc', footprint: [] });
      free_page(__get_free_page(k, GFP_KERNEL));
    });
    expect(t).toContain('kmem_cache_alloc(kvm_mmu_page_header, GFP_KERNEL) = NULL [injected]');
    expect(t).toContain('alloc_pages(GFP_KERNEL, 9) = NULL [injected]');
    expect(t).toContain('__get_free_page(GFP_KERNEL) = NULL [injected]');
    expect(t).toMatch(/fail_page_alloc#1 +fault_inject\(page_alloc\)/);
  });

  it('__GFP_NOFAIL is never failed', async () => {
    const t = await sites(async (k) => void kmalloc(k, 64, GFP_KERNEL | __GFP_NOFAIL));
    expect(t).not.toContain('[injected]');
  });

  it('a memory-cache top-up fails with -ENOMEM where its allocation is failed', async () => {
    const results: number[] = [];
    const t = await sites(async (k) => {
      const mc = new kvm_mmu_memory_cache(k, 'mmu_shadow_page_cache', { capacity: 4 });
      results.push(await kvm_mmu_topup_memory_cache(mc, 4));
    });
    expect(t).toContain('kvm_mmu_topup_memory_cache(mmu_shadow_page_cache) = -ENOMEM; __get_free_page(GFP_KERNEL_ACCOUNT) = NULL [injected]');
    expect(new Set(results)).toEqual(new Set([0, -12]));
  });
});

describe('kmemleak with an injected fault', () => {
  for (const strategy of ['dfs', 'dpor'] as const) {
    it(`${strategy}: the error path that forgets kfree() leaks; the fix is proved clean`, async () => {
      expect((await explore(freeOnError(false), { strategy, ...EXHAUSTIVE })).findings).toEqual([]);
      const bug = await explore(freeOnError(false, { slab: 1 }), { strategy, ...EXHAUSTIVE, preemptions: 1 });
      const f = bug.findings[0]!;
      expect(f.kind).toBe('memory-leak');
      expect(f.report).toContain('unreferenced object 0xffff8880');
      expect(f.report).toContain('(size 64):');
      expect(f.report).toContain('comm "vcpu0", pid 1000');
      const fixed = await explore(freeOnError(true, { slab: 1 }), { strategy, ...EXHAUSTIVE, preemptions: 1 });
      expect(fixed.findings).toEqual([]);
      expect(fixed.verdict.class).toBe('proved');
    });
  }
});
