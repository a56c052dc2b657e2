// Harness instrumentation, not a kernel structure: which user-visible operations
// are in flight (and which GFN range each may legitimately destroy), the SPTEs they
// retired (for the TLB check when they return), and the tracepoints the invariants
// listen on. The modeled kernel functions report here; nothing here changes what
// they do.
//
// Recorded for partial-order reduction (footprint.ts): the GFN ranges of in-flight
// operations that may destroy memory (`destroying`), and `gen`. Bumps of `gen` only
// add, so any two commute: a bump is recorded as a read of `gen` and taking or
// comparing its value as a write, so that bumps are independent of each other and
// ordered with everything that looks at the value. Which operations are in flight on
// a thread, and what they retired, only that thread touches.
import type { Run } from '../../engine/index.ts';
import { fmt_range, type gfn_t } from '../arch/x86/include/asm/kvm_host.ts';
import type { tdp_ptep_t } from '../arch/x86/kvm/mmu/mmu_internal.ts';
import type { u64 } from '../arch/x86/kvm/mmu/spte.ts';
import type { cached_translation } from '../arch/x86/kvm/x86.ts';
import { model_key, touch_range } from './footprint.ts';
import { range_subtract } from './interval_map.ts';
import { tracepoint } from './tracepoint.ts';

/** A leaf translation that stopped being valid (zapped or split), with the
 * translations vCPUs had cached for it at that moment: any of them still cached
 * when the operation returns is stale. */
export interface retired_spte {
  readonly is_private: boolean;
  readonly gfn: gfn_t;
  readonly level: number;
  readonly cached: readonly cached_translation[];
}

const NO_OPS: readonly kvm_model_op[] = [];

/** Operations as a message lists them (`none` for none). */
export function describe_ops(ops: readonly kvm_model_op[]): string {
  return ops.map((op) => `${op.name}${fmt_range(op.start, op.end)}`).join(', ') || 'none';
}

export interface kvm_model_op {
  readonly name: string;
  readonly thread: string;
  readonly start: gfn_t;
  readonly end: gfn_t;
  /** The operation may destroy private memory in [start, end) (punch hole,
   * conversion, memory failure). */
  readonly destroys: boolean;
  readonly retired: retired_spte[];
}

/** One SPTE written (tp_spte_write: every raw write, FROZEN_SPTE included), or one
 * SPTE change as handle_changed_spte() sees it (tp_spte_changed, the kernel's
 * kvm_tdp_mmu_spte_changed tracepoint: old and final value). */
export interface spte_change {
  readonly sptep: tdp_ptep_t;
  readonly gfn: gfn_t;
  readonly level: number;
  readonly old_spte: u64;
  readonly new_spte: u64;
}

/** A vCPU going round a retry loop (fault retry, accept exit) without progress. */
export interface vcpu_retry {
  readonly thread: string;
  readonly vcpu_id: number;
  readonly gfn: gfn_t;
  readonly reason: string;
  /** Every other thread had finished when it retried. */
  readonly alone: boolean;
  /** Something changed (kvm_model.gen moved) since the failed attempt began. */
  readonly progress: boolean;
}

/** An allocation found its cache empty. */
export interface cache_empty {
  readonly cache: string;
  readonly gfn: gfn_t;
  readonly atomic: boolean;
  readonly thread: string;
}

/** kvm_model.gen's key. */
export const GEN = new model_key('gen');
const DESTROYING = 'destroying';

/** The instrumentation of one VM. */
export class kvm_model {
  /** Bumped by every change a retrying vCPU could be waiting for: SPTEs, the
   * S-EPT, invalidations, attributes, guest_memfd folios. */
  private gen = 0;
  readonly inflight: kvm_model_op[] = [];

  readonly tp_spte_write = new tracepoint<spte_change>('kvm_tdp_mmu_spte_write');
  readonly tp_spte_changed = new tracepoint<spte_change>('kvm_tdp_mmu_spte_changed');
  readonly tp_op_end = new tracepoint<kvm_model_op>('kvm_model_op_end');
  readonly tp_vcpu_retry = new tracepoint<vcpu_retry>('kvm_vcpu_retry');
  readonly tp_cache_empty = new tracepoint<cache_empty>('kvm_cache_empty');

  constructor(readonly run: Run) {
    // A thread that retired SPTEs outside any operation returns when it exits.
    run.onThreadExit((t) => {
      for (let i = this.inflight.length - 1; i >= 0; i--) {
        const op = this.inflight[i]!;
        if (op.thread === t.name) this.end(op);
      }
    });
  }

  private thread(): string {
    return this.run.current?.name ?? '<setup>';
  }

  /** Something a retrying vCPU may wait for changed. */
  bump(): void {
    this.run.touch(GEN.read);
    this.gen++;
  }

  /** The current generation, taken when an attempt begins. */
  since(): number {
    this.run.touch(GEN.write);
    return this.gen;
  }

  /** Whether something changed since `since()` returned `gen`. */
  changed_since(gen: number): boolean {
    this.run.touch(GEN.write);
    return this.gen !== gen;
  }

  /** An operation starts on the current thread. */
  begin(name: string, start: gfn_t, end: gfn_t, destroys: boolean): kvm_model_op {
    const op: kvm_model_op = { name, thread: this.thread(), start, end, destroys, retired: [] };
    if (destroys) touch_range(this.run, DESTROYING, 'write', start, end);
    this.inflight.push(op);
    return op;
  }

  /** The operation returns. */
  end(op: kvm_model_op): void {
    const i = this.inflight.indexOf(op);
    if (i < 0) return;
    if (op.destroys) touch_range(this.run, DESTROYING, 'write', op.start, op.end);
    this.inflight.splice(i, 1);
    this.tp_op_end.trace(op);
  }

  /** Runs `fn` as an operation of the current thread. */
  async op<T>(name: string, start: gfn_t, end: gfn_t, destroys: boolean, fn: () => Promise<T>): Promise<T> {
    const op = this.begin(name, start, end, destroys);
    try {
      return await fn();
    } finally {
      this.end(op);
    }
  }

  /** The outermost operation of the current thread; one is opened for the thread
   * when it has none, and ends when the thread exits. */
  outermost(): kvm_model_op {
    const me = this.thread();
    for (const op of this.inflight) if (op.thread === me) return op;
    return this.begin(`${me} (thread)`, 0, 0, false);
  }

  /** A leaf translation stops being valid: the operation that did it owes a TLB
   * flush for the translations `cached` for it now. */
  retire(is_private: boolean, gfn: gfn_t, level: number, cached: readonly cached_translation[]): void {
    this.outermost().retired.push({ is_private, gfn, level, cached });
  }

  /** Parts of [lo, hi) no in-flight destructive operation covers. */
  uncovered(lo: gfn_t, hi: gfn_t): Array<[gfn_t, gfn_t]> {
    touch_range(this.run, DESTROYING, 'read', lo, hi);
    const cuts: Array<[number, number]> = [];
    for (const op of this.inflight) if (op.destroys) cuts.push([op.start, op.end]);
    return cuts.length === 0 ? [[lo, hi]] : range_subtract(lo, hi, cuts);
  }

  /** The in-flight operations that may destroy memory, for messages only (not
   * recorded: what a message quotes decides nothing). */
  describe_destroying(): string {
    return describe_ops(this.destroying());
  }

  /** The in-flight operations that may destroy memory, as of now (not recorded, as
   * describe_destroying()): for a message made later, with describe_ops(). */
  destroying(): readonly kvm_model_op[] {
    let out: kvm_model_op[] | null = null;
    for (const op of this.inflight) if (op.destroys) (out ??= []).push(op);
    return out ?? NO_OPS;
  }

  /** Threads other than `me` that have not finished (each a recorded read of its exit). */
  others(me: string): string[] {
    const run = this.run;
    const out: string[] = [];
    for (const t of run.threads) {
      if (t.name === me) continue;
      run.touch(t.exitRead);
      if (t.state !== 'done') out.push(t.name);
    }
    return out;
  }

  empty_cache(cache: string, gfn: gfn_t, atomic: boolean): void {
    if (this.run.tracing) this.run.event(`${cache} is empty: no DPAMT pages for GFN 0x${gfn.toString(16)}${atomic ? ', under a spinning lock' : ''}`);
    this.tp_cache_empty.trace({ cache, gfn, atomic, thread: this.thread() });
  }
}
