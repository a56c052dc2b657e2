// Core engine types. The engine knows threads, operations and choices; it knows
// nothing of kernels. Everything here is plain data so traces and schedules can be
// serialised, hashed and compared byte for byte.

/** What a step touches, for partial-order reduction. Two footprints conflict when
 * they share a key, at least one writes, and their ranges (if any) overlap. */
export interface Footprint {
  readonly key: string;
  readonly access?: 'read' | 'write';
  /** Half-open [lo, hi) range inside `key`, e.g. a GFN range. */
  readonly range?: readonly [number, number];
}

/** A scheduling point: what the thread is about to do once the scheduler lets it. */
export interface Op {
  /** Operation name as it appears in traces, e.g. `spin_lock`. */
  readonly kind: string;
  /** Object name, e.g. `mmu_lock`. */
  readonly obj?: string;
  /** Objects the step touches; defaults to a write of `obj`, or nothing. */
  readonly footprint?: readonly Footprint[];
  /** Null when the op can run now; otherwise the names of the threads it waits on
   * (possibly empty, e.g. waiting for a condition nobody holds). */
  readonly waitsOn?: () => readonly string[] | null;
}

/** One executed step. */
export interface TraceEvent {
  readonly step: number;
  readonly thread: string;
  readonly cpu: number;
  readonly op: string;
  readonly obj?: string;
  /** Set by the step's effect, e.g. `acquired`, `-ENOMEM`. */
  result?: string;
  /** What the step's effect did, as the model tells it (traced runs only), e.g.
   * `attributes [0x40010, 0x40012) -> shared`. */
  events?: readonly string[];
  /** What the step touched, e.g. `w lock:mmu_lock` (traced runs only). */
  footprint?: readonly string[];
}

/** A switch to `thread` at `step`, whose next operation was `op`. */
export interface Switch {
  readonly step: number;
  readonly thread: string;
  readonly op: string;
}

/** A schedule in semantic form: the thread switches, and the total step count.
 * Between switches the current thread keeps running. */
export interface Schedule {
  readonly switches: readonly Switch[];
  readonly steps: number;
}

export interface Finding {
  /** Stable kind, e.g. `deadlock`, `sleep-in-atomic`, `invariant:tlb`. */
  readonly kind: string;
  /** One-line summary. */
  readonly message: string;
  /** Multi-line report in the kernel's own wording, when there is one. */
  readonly report?: string;
  readonly step: number;
  readonly thread?: string;
  readonly trace: readonly TraceEvent[];
  readonly schedule: Schedule;
  /** Schedules that must run first in the same exploration (e.g. the one that
   * recorded the other half of a lock-order inversion). */
  readonly prelude?: readonly Schedule[];
  readonly details?: Readonly<Record<string, unknown>>;
  /** Scenario parameters the schedule ran with. */
  params?: unknown;
  /** Lengths before and after shrinking. */
  originalSteps?: number;
  minimalSteps?: number;
  /** The call that broke the rule when it is made inside the step rather than being
   * its operation (a kmalloc(GFP_KERNEL) after a spin_lock). */
  readonly call?: string;
  /** Traced runs: what the failed check read, after the step and before it. */
  state?: FindingState;
  /** Its run left detail out of its report (Run.undetailed: KASAN's stacks, say, are
   * not captured while exploring). Never set on a finding that leaves the engine:
   * the report is replaced by that of a detailed run of the same schedule (detail.ts). */
  undetailed?: true;
}

/** What a failed invariant read: the keys, and their values, one line each, after
 * the step that broke it and (filled in by a second replay) before it. */
export interface FindingState {
  /** `check`: the keys the check read; `step`: the check recorded no read (an
   * untracked model), so the keys the step touched that a describer knows. */
  readonly source: 'check' | 'step';
  readonly reads: readonly Footprint[];
  readonly after: readonly string[];
  before?: readonly string[];
}

/** A finding raised from inside a step (by a primitive or an invariant). */
export interface FindingInput {
  readonly kind: string;
  readonly message: string;
  readonly report?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly prelude?: readonly Schedule[];
  readonly call?: string;
  readonly state?: FindingState;
}

export type ThreadState = 'ready' | 'running' | 'done';
