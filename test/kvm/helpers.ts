// Small drivers for the KVM model tests: one schedule in thread order, or an
// exploration of a program built around one VM.
import { explore, Run, type ExploreOptions, type ExploreResult, type Program } from '../../src/engine/index.ts';
import { kvm_create_vm, kvm_install_invariants, kvm_state_hash, type kvm, type kvm_create_vm_opts, type kvm_invariant_opts } from '../../src/kvm/index.ts';

/** GFNs in a 2M page and in a 1G page. */
export const P2M = 512;
export const P1G = 512 * 512;

export interface vm_case {
  readonly vm?: Partial<kvm_create_vm_opts>;
  /** Which model invariants to install; false for none. */
  readonly invariants?: kvm_invariant_opts | false;
  /** Fixtures and threads. */
  readonly setup: (kvm: kvm, run: Run) => void;
}

/** Builds the VM of `c` on `run`: fixtures first, then the invariants. */
export function build(run: Run, c: vm_case): kvm {
  const vm = kvm_create_vm(run, { gmem_pages: 4 * P1G, ...c.vm });
  c.setup(vm, run);
  if (c.invariants !== false) kvm_install_invariants(vm, c.invariants ?? {});
  return vm;
}

/** One schedule that always runs the first enabled thread (creation order). */
export async function run_once(c: vm_case, maxSteps = 200_000): Promise<{ run: Run; kvm: kvm }> {
  const run = new Run(() => 0, { maxSteps, shared: new Map() });
  const vm = build(run, c);
  await run.start();
  return { run, kvm: vm };
}

/** What `body` returns when run on a fresh VM's TD by one kthread (the TD's methods
 * record reads and writes, so they run inside a thread); throws if the run found
 * anything. */
export async function on_fresh_td<T>(body: (td: kvm['tdx']['td']) => T): Promise<T> {
  let out: { value: T } | null = null;
  const { run } = await run_once({
    invariants: false,
    setup(vm) {
      vm.k.kthread('t', async () => {
        out = { value: body(vm.tdx.td) };
      });
    },
  });
  if (run.finding !== null) throw new Error(`on_fresh_td: ${run.finding.kind}: ${run.finding.message}`);
  return out!.value;
}

/** A program around one VM; `last` is the VM of the latest schedule. */
export function vm_program(name: string, c: vm_case): Program & { last: kvm | null } {
  const p = {
    name,
    last: null as kvm | null,
    setup(run: Run) {
      p.last = build(run, c);
    },
    stateHash: () => kvm_state_hash(p.last!),
  };
  return p;
}

/** Every schedule (dfs), stopping at the first finding, without shrinking. */
export function explore_dfs(p: Program, opts: ExploreOptions = {}): Promise<ExploreResult> {
  return explore(p, { strategy: 'dfs', schedules: 20_000, maxSteps: 20_000, shrink: false, ...opts });
}

/** `kind: message` of each finding, for readable assertions. */
export function kinds(r: ExploreResult): string[] {
  return r.findings.map((f) => f.kind);
}

/** The operations `thread` performed, as `op(obj)`, optionally only those matching. */
export function ops_of(run: Run, thread: string, match?: RegExp): string[] {
  const all = run.trace.filter((e) => e.thread === thread).map((e) => (e.obj === undefined ? e.op : `${e.op}(${e.obj})`));
  return match === undefined ? all : all.filter((o) => match.test(o));
}
