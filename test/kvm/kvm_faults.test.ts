// Fault injection at the KVM model's own fault points, as choices of the search:
// the allocators (slab, page_alloc) where KVM allocates, the TDX module's busy
// SEAMCALLs (seamcall_busy) and DEMOTE out of resources (demote), each handled the
// way upstream (or the latest posted series) does; and the engine's side for them:
// the schema knows the classes, tokens and regressions replay an injected fault, the
// shrinker drops the faults a finding does not need.
import { describe, expect, it } from 'vitest';
import {
  defineRegression,
  defineScenario,
  explore,
  faultClasses,
  loadScenario,
  makeToken,
  renderTrace,
  replayToken,
  shrinkFinding,
  type Finding,
  type Scenario,
} from '../../src/engine/index.ts';
import { RET_PF_FIXED } from '../../src/kvm/index.ts';
import { schemaProblem } from '../../scripts/lib/scenario-schema.ts';
import { accept_split, private_fault, punch_hole, returned } from '../fixtures/kvm-faults.ts';
import { collapse, racing_links, split_enomem, tracked } from '../fixtures/kvm-lifetimes.ts';
import { outcomes } from '../fixtures/outcomes.ts';

const DFS = { strategy: 'dfs', schedules: 50_000, preemptions: 2, maxSteps: 20_000 } as const;
const injected = (f: Finding) => f.trace.filter((e) => e.result?.includes('[injected]')).length;

/** Every schedule of `s` (dfs within the bound, past findings): the findings, what
 * the threads returned, and the trace of each schedule that ran to its end. */
async function every_schedule(s: Scenario) {
  returned.length = 0;
  const traces: string[] = [];
  const r = await explore({ ...s, stateHash: (run) => (traces.push(renderTrace(run.trace)), s.stateHash!(run)) }, { ...DFS, shrink: false });
  return { r, traces: traces.join('\n----\n'), returned: new Set(returned) };
}

describe('fault classes', () => {
  it('the KVM model registers seamcall_busy and demote beside the kernel\'s slab and page_alloc', () => {
    expect(faultClasses()).toEqual(expect.arrayContaining(['demote', 'page_alloc', 'seamcall_busy', 'slab']));
  });

  it('the scenario schema takes the registered classes and names the closest one for a typo', () => {
    const s = (faults: Record<string, number>) => defineScenario({ name: 'x', expect: 'clean', faults, setup() {} });
    expect(schemaProblem(s({ seamcall_busy: 2, demote: 1, slab: 1 }))).toBeNull();
    expect(schemaProblem(s({ seamcall_bsy: 1 }))).toMatch(/field 'faults.seamcall_bsy': unknown fault class 'seamcall_bsy': did you mean 'seamcall_busy'\?/);
    expect(schemaProblem(s({ demote: 9 }))).toMatch(/faults.demote/);
  });
});

describe('allocation faults where KVM allocates', () => {
  it('a split\'s struct and sp->spt (failslab, fail_page_alloc): -ENOMEM, handled, nothing leaked', async () => {
    const { r, traces } = await every_schedule(split_enomem(false, { slab: 1, page_alloc: 1 }));
    expect(r.findings).toEqual([]);
    expect(r.verdict.class).toBe('proved');
    expect(traces).toContain('kmem_cache_zalloc(kvm_mmu_page_header, GFP_KERNEL_ACCOUNT) = NULL [injected]');
    expect(traces).toContain('get_zeroed_page(GFP_KERNEL_ACCOUNT) = NULL [injected]');
  });

  it('the fault path\'s top-ups (the vCPU\'s MMU caches, tdx_topup_pamt_cache()): the fault returns -ENOMEM', async () => {
    const { r, traces, returned } = await every_schedule(private_fault({ page_alloc: 1, slab: 1 }));
    expect(r.findings).toEqual([]);
    expect(traces).toMatch(/kvm_mmu_topup_memory_cache\(vcpu0->arch\.mmu_shadow_page_cache\) = -ENOMEM; __get_free_page\(GFP_KERNEL_ACCOUNT\) = NULL \[injected\]/);
    expect(traces).toContain('kmem_cache_zalloc(kvm_mmu_page_header, GFP_KERNEL_ACCOUNT) = NULL [injected]');
    expect(traces).toContain('alloc_page(GFP_KERNEL_ACCOUNT) = NULL [injected]');
    expect(returned).toEqual(new Set([-12, RET_PF_FIXED]));
  });
});

describe('seamcall_busy: TDX_OPERAND_BUSY', () => {
  it('SEPT.ADD and AUG in the fault path are -EBUSY: the fault retries and maps the page in every schedule', async () => {
    const { r, traces, returned } = await every_schedule(private_fault({ seamcall_busy: 1 }));
    expect(r.findings).toEqual([]);
    expect(r.verdict.class).toBe('proved');
    expect(traces).toContain('tdh_mem_sept_add(S-EPT[0x0 1G]) = TDX_OPERAND_BUSY [injected]');
    expect(traces).toContain('tdh_mem_page_aug(S-EPT[0x300 4K]) = TDX_OPERAND_BUSY [injected]');
    expect(returned).toEqual(new Set([RET_PF_FIXED]));
  });

  it('BLOCK and REMOVE under write mmu_lock: tdh_do_no_vcpus() kicks the vCPUs and retries, never busy again', async () => {
    for (const budget of [1, 2]) {
      const { r, traces, returned } = await every_schedule(punch_hole({ seamcall_busy: budget }));
      expect(r.findings, `budget ${budget}`).toEqual([]);
      expect(r.verdict.class).toBe('proved');
      expect(returned).toEqual(new Set([0]));
      for (const leaf of ['tdh_mem_range_block', 'tdh_mem_page_remove']) {
        const retry = new RegExp(`punch +${leaf}\\(S-EPT\\[0x200 2M\\]\\) = ${leaf}\\(S-EPT\\[0x200 2M\\]\\) = TDX_OPERAND_BUSY \\[injected\\]\\n.*punch +kvm_make_all_cpus_request\\(KVM_REQ_OUTSIDE_GUEST_MODE\\)\\n.*punch +${leaf}\\(S-EPT\\[0x200 2M\\]\\)\\n`);
        expect(traces).toMatch(retry);
      }
    }
  });

  it('without the retry (an override of tdh_do_no_vcpus()) the busy status is TDX_BUG_ON', async () => {
    const r = await explore(punch_hole({ seamcall_busy: 1 }, true), DFS);
    expect(r.findings[0]?.kind).toBe('kvm-bug-on');
    expect(r.findings[0]?.message).toMatch(/KVM_BUG_ON: tdh_mem_(range_block|page_remove)\(gfn 0x200 level 2M\) = TDX_OPERAND_BUSY/);
  });

  it('DEMOTE interrupted on a module without ENHANCE_DEMOTE_INTERRUPTIBILITY: TDX_INTERRUPTED_RESTARTABLE is no busy status, KVM BUGs', async () => {
    const r = await explore(accept_split({ seamcall_busy: 1 }, { demote_interruptible: true }, 'kvm-bug-on'), DFS);
    expect(r.findings[0]?.kind).toBe('kvm-bug-on');
    expect(r.findings[0]?.message).toContain('tdh_mem_page_demote(gfn 0x200 level 2M) = TDX_INTERRUPTED_RESTARTABLE');
    expect(renderTrace(r.findings[0]!.trace)).toContain('tdh_mem_page_demote(S-EPT[0x200 2M]) = TDX_INTERRUPTED_RESTARTABLE [injected]');
    // The module the posted series requires only ever says busy there, which is retried.
    const { r: ok, traces } = await every_schedule(accept_split({ seamcall_busy: 1 }));
    expect(ok.findings).toEqual([]);
    expect(ok.verdict.class).toBe('proved');
    expect(traces).toContain('tdh_mem_page_demote(S-EPT[0x200 2M]) = TDX_OPERAND_BUSY [injected]');
  });
});

describe('demote: TDH.MEM.PAGE.DEMOTE out of resources', () => {
  it('is TDX_BUG_ON in the split (RFC v5 39/45), found only when the search fails it', async () => {
    expect((await every_schedule(accept_split({}))).r.findings).toEqual([]);
    const r = await explore(accept_split({ demote: 1 }, {}, 'kvm-bug-on'), DFS);
    const f = r.findings[0]!;
    expect(f.kind).toBe('kvm-bug-on');
    expect(f.message).toContain('KVM_BUG_ON: tdh_mem_page_demote(gfn 0x200 level 2M) = TDX_INSUFFICIENT_RESOURCES in vcpu0');
    expect(renderTrace(f.trace)).toContain('tdh_mem_page_demote(S-EPT[0x200 2M]) = TDX_INSUFFICIENT_RESOURCES [injected]');
    expect(injected(f)).toBe(1);
  });
});

describe('tokens, regressions and shrinking of a KVM fault finding', () => {
  it('a token replays the same injected fault; a regression pins it', async () => {
    const l = await loadScenario('test/fixtures/scenarios/kvm-split-enomem.scenario.ts');
    const r = await explore(l.scenario, DFS);
    const f = r.findings[0]!;
    expect(f.kind).toBe('memory-leak');
    const back = await replayToken(makeToken(l, f));
    expect(back.finding?.kind).toBe('memory-leak');
    expect(renderTrace(back.finding!.trace)).toBe(renderTrace(f.trace));
    expect(renderTrace(back.finding!.trace)).toContain('kmem_cache_zalloc(kvm_mmu_page_header, GFP_KERNEL_ACCOUNT) = NULL [injected]');
    const reg = defineRegression(l.scenario, { name: 'kvm-split-enomem-pinned', kind: f.kind, schedule: f.schedule });
    const pinned = await explore(reg, { strategy: 'replay' });
    expect(pinned.findings[0]?.kind).toBe('memory-leak');
    expect(renderTrace(pinned.findings[0]!.trace)).toContain('= NULL [injected]');
  });

  it('shrinking keeps the one injected fault the leak needs, of two the search injected', async () => {
    // vcpu0's cache top-up is a failslab site too, whose -ENOMEM it handles.
    const s = split_enomem(true, { slab: 2 }, true);
    let worst: Finding | null = null;
    for (let seed = 1; seed <= 60 && worst === null; seed++) {
      const r = await explore(s, { strategy: 'random', schedules: 40, seed, shrink: false, maxSteps: 20_000 });
      const f = r.findings[0];
      if (f !== undefined && injected(f) > 1) worst = f;
    }
    expect(worst).not.toBeNull();
    const { finding } = await shrinkFinding(s, worst!);
    expect(finding.kind).toBe('memory-leak');
    expect(injected(finding)).toBe(1);
    expect(renderTrace(finding.trace)).toContain('kmem_cache_zalloc(kvm_mmu_page_header, GFP_KERNEL_ACCOUNT) = NULL [injected]');
  });
});

describe('dpor reaches what dfs reaches with faults injected and memory freed', () => {
  // The model records every access these scenarios make (fault sites and injectors,
  // wait_for_sept_zap, the tables' memory), so dpor may reduce; it must hide nothing.
  const cases = [
    collapse('now', 'rcu'),
    collapse('call_rcu', 'leaves-rcu-early'),
    racing_links(true),
    split_enomem(true, { slab: 1 }),
    split_enomem(false, { slab: 1, page_alloc: 1 }),
    private_fault({ seamcall_busy: 1 }),
    punch_hole({ seamcall_busy: 2 }),
  ];
  for (const s of cases) {
    it(`${s.name} ${JSON.stringify(s.faults ?? {})}: same finding kinds and terminal states, within two preemptions`, async () => {
      const p = tracked(s);
      const dfs = await outcomes(p, { ...DFS, strategy: 'dfs' });
      const dpor = await outcomes(p, { ...DFS, strategy: 'dpor', schedules: 1_000_000 });
      expect(dpor.stats.complete).toBeDefined();
      expect(dpor.kinds).toEqual(dfs.kinds);
      expect([...dpor.states].sort()).toEqual([...dfs.states].sort());
      expect(dpor.stats.schedules).toBeLessThanOrEqual(dfs.stats.schedules);
    }, 300_000);
  }
});
