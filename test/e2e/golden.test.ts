// Golden files: the text `septcheck replay` prints for one finding of each kind, as
// a reviewer pastes it into a mailing-list reply. Each is compared byte for byte
// with test/e2e/golden/<kind>.txt, and checked for the kernel's own wording
// independently of the file, so a regenerated file cannot bless a wrong report.
// The files change only on request: SEPTCHECK_UPDATE_GOLDEN=1 npx vitest run
// test/e2e/golden.test.ts rewrites them; without it a missing or different file fails.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson, removeTempDirs, REPO, septcheck, tempDir, type SweepRecord } from './helpers.ts';

const GOLDEN = join(REPO, 'test/e2e/golden');
const UPDATE = process.env.SEPTCHECK_UPDATE_GOLDEN === '1';
const FIX = 'test/e2e/fixtures/golden';

interface Case {
  /** The golden file's name. */
  readonly name: string;
  readonly file: string;
  readonly kind: string;
  /** What the report must say, in the kernel's words, whatever the golden file holds. */
  readonly says: readonly (string | RegExp)[];
}

const CASES: readonly Case[] = [
  {
    name: 'invariant',
    file: 'scenarios/catalogue/zap-without-split.ts',
    kind: 'invariant:private',
    says: [
      /^------------\[ cut here \]------------\ninvariant:private: private GFN 0x40000 has no S-EPT mapping/,
      /^WARNING: CPU: 1 PID: 1001 at arch\/x86\/kvm\/mmu\/tdp_mmu\.c tdp_mmu_zap_leafs$/m,
      /^Call Trace:\n <TASK>\n rcu_read_unlock include\/linux\/rcupdate\.h\n tdp_mmu_zap_leafs arch\/x86\/kvm\/mmu\/tdp_mmu\.c\n/m,
      /^ kvm_gmem_set_attributes virt\/kvm\/guest_memfd\.c\n <\/TASK>\n---\[ end trace 0000000000000000 \]---$/m,
      /^Showing all locks held in the system:\n4 locks held by set_attributes\/1001:\n #0: \(&kvm->slots_lock\)\{\+\.\+\.\}-\{3:3\}, at: kvm_gmem_set_attributes \[step 1\]$/m,
      ' #2: (&kvm->mmu_lock){+.+.}-{2:2}, at: kvm_gmem_invalidate_begin [step 3]',
      // The interleaving tells the story: the attributes, the zap of the whole 2M leaf, the SEAMCALLs.
      '· attributes [0x40010, 0x40012) -> shared',
      '· zap mirror[0x40000 2M] covering [0x40000, 0x40200), for the range [0x40010, 0x40012)',
      /^9 +tdh_mem_page_remove\(S-EPT\[0x40000 2M\]\)  <-- invariant:private$/m,
      /^state difference \(what invariant:private read, before step 9 and after it\):\n(.*\n)*? {2}sept:2\[0x40000, 0x40200\) +2M leaf 0x40000 -> pfn 0x100000 blocked -> no leaf$/m,
    ],
  },
  {
    name: 'cache',
    file: 'scenarios/catalogue/topup-short.ts',
    kind: 'invariant:caches',
    says: [
      /^WARNING: CPU: 1 PID: 1001 at arch\/x86\/virt\/vmx\/tdx\/tdx\.c tdx_pamt_get$/m,
      ' tdx_sept_split_private_spte arch/x86/kvm/vmx/tdx.c',
      ' #3: (&kvm->mmu_lock){+.+.}-{2:2}, at: tdp_mmu_alloc_sp_for_split [step 10]',
      '· kvm_tdx->pamt_cache is empty: no DPAMT pages for GFN 0x40000, under a spinning lock',
      /^ {2}pamt_cache:kvm_tdx->pamt_cache +2 pages -> 0 pages$/m,
    ],
  },
  {
    name: 'lockdep',
    file: 'scenarios/classic/abba-latent.ts',
    kind: 'lock-order-inversion',
    says: [
      'WARNING: possible circular locking dependency detected',
      // Dated at the step that took B (step 3 of the trace below), not the one before.
      '       by T1/1000 on CPU0 holding spin_lock(A), at step 3 of schedule #1',
      /^ 3 {2}cpu0 {2}T1 +spin_lock\(B\)$/m,
      /^stack backtrace:\nCPU: 1 PID: 1001 Comm: T2 septcheck Not tainted\nCall Trace:\n <TASK>\n spin_lock include\/linux\/spinlock\.h\n scenarios\/classic\/abba-latent\.ts:\d+\n <\/TASK>$/m,
      'scenario scenarios/classic/abba-latent.ts (no variant), 11 steps, 2 threads, 1 switch',
    ],
  },
  {
    name: 'sleep-in-atomic',
    file: 'scenarios/catalogue/topup-under-split-cache-lock.ts',
    kind: 'sleep-in-atomic',
    says: [
      'BUG: sleeping function called from invalid context at tdx_topup_pamt_cache(kvm_tdx->prealloc_split_cache, 8)',
      'Preemption disabled at:\n       tdx_split_cache_prepare',
      'Call Trace:\n <TASK>\n might_sleep include/linux/kernel.h\n tdx_topup_pamt_cache',
      // The sleeping call is marked, not the spin_lock() step it was made in.
      /^3 +spin_lock\(&kvm_tdx->prealloc_split_cache_lock\)\n +-> tdx_topup_pamt_cache\(kvm_tdx->prealloc_split_cache, 8\)  <-- sleep-in-atomic$/m,
      '4 steps, 1 thread, no switch',
    ],
  },
  {
    name: 'deadlock',
    file: `${FIX}/pamt-lock-softirq.ts`,
    kind: 'deadlock',
    says: [
      // A vCPU interrupted on its CPU does not "wait in" its next call.
      /^INFO: task vcpu0:1000 is interrupted before tdh_phymem_pamt_add\(PAMT\[0x100000\]\) by rcu_do_batch\/1001, which cannot finish\.$/m,
      /^watchdog: BUG: soft lockup - CPU#0 stuck \[rcu_do_batch:1001\]: spinning in spin_lock\(pamt_lock\), held by vcpu0\/1000$/m,
      'Showing all locks held in the system:',
    ],
  },
  {
    name: 'livelock',
    file: `${FIX}/aug-busy-retry.ts`,
    kind: 'livelock',
    says: [
      /^livelock: no progress within 5000 steps; from step 1 the same 3 steps repeat 1666 times: /,
      '... steps 4-4998: the 3 steps above, 1665 times more',
    ],
  },
  {
    name: 'thread-exception',
    file: `${FIX}/fault-no-memslot.ts`,
    kind: 'thread-exception',
    says: [
      /^thread-exception: thread vcpu0 threw: Cannot read properties of undefined \(reading 'gmem'\)\n {4}at test\/e2e\/fixtures\/golden\/fault-no-memslot\.ts:29:\d+$/m,
      ' #0: (&kvm->mmu_lock){.+.+}-{2:2}, at: test/e2e/fixtures/golden/fault-no-memslot.ts:27 [step 1]',
    ],
  },
];

let outputs: Map<string, { code: number | null; stdout: string; stderr: string }>;

beforeAll(async () => {
  const dir = tempDir('golden');
  const json = join(dir, 'sweep.json');
  await septcheck(['sweep', ...CASES.map((c) => c.file), '--workers', '2', '--json', json]);
  const records = readJson<SweepRecord[]>(json);
  const tokenOf = (file: string) => records.find((r) => r.file === file)?.findings[0]?.token ?? '';
  const runs = await Promise.all(CASES.map((c) => septcheck(['replay', tokenOf(c.file)])));
  outputs = new Map(CASES.map((c, i) => [c.name, runs[i]!]));
});
afterAll(removeTempDirs);

describe('golden replay reports', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s: the report reads like the kernel, and matches its golden file', (name, c) => {
    const out = outputs.get(name)!;
    expect(out.stderr).toBe('');
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(`\nscenario ${c.file} `);
    for (const s of c.says) {
      if (typeof s === 'string') expect(out.stdout).toContain(s);
      else expect(out.stdout).toMatch(s);
    }
    const file = join(GOLDEN, `${name}.txt`);
    if (UPDATE) {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(file, out.stdout);
    }
    expect(existsSync(file), `${file} is missing: SEPTCHECK_UPDATE_GOLDEN=1 writes it`).toBe(true);
    expect(out.stdout).toBe(readFileSync(file, 'utf8'));
  });

  it('a livelock report fits on a screen, whatever its step bound', () => {
    expect(outputs.get('livelock')!.stdout.split('\n').length).toBeLessThan(40);
  });

  it('each kind is the one its case names', async () => {
    for (const c of CASES) expect(outputs.get(c.name)!.stdout).toContain(c.kind);
  });
});
