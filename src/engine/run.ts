import { ANY_KEY, ANY_READ, conflicts, footprintOf } from './dpor/footprint.ts';
import { checkInvariant } from './guard.ts';
import { captureStack, stackOf, thrownFrames } from './stack.ts';
import { accessOf, describeState, footprintLabel, uniqueFootprints, UNKNOWN, type Describer } from './state.ts';
import { SimThread, START } from './thread.ts';
import { describeThrown } from './thrown.ts';
import { livelockCycle, renderOps } from './trace.ts';
import { Cell, tracked } from './tracked.ts';
import type { Finding, FindingInput, Footprint, Op, Schedule, Switch, ThreadState, TraceEvent } from './types.ts';
import type { StepProbe } from './watchdog.ts';

/** What a strategy sees at a choice point. `enabled` is reused between steps: read
 * it, do not keep it. */
export interface ChoicePoint {
  readonly run: Run;
  readonly step: number;
  readonly enabled: readonly SimThread[];
  /** The thread that ran the previous step, or null at the start. */
  readonly current: SimThread | null;
  /** The last thread that ran and is not `free`: switching away from it while it
   * is enabled is a preemption (a free thread's step in between changes nothing). */
  readonly owner: SimThread | null;
}

/** Picks one of `cp.enabled` by index. */
export type Chooser = (cp: ChoicePoint) => number;

export interface Invariant {
  readonly name: string;
  /** Returns null when it holds, else a message naming what broke. */
  readonly check: () => string | FindingInput | null;
}

export interface RunOptions {
  readonly maxSteps: number;
  /** State shared by every schedule of one exploration (e.g. lockdep's graph). */
  readonly shared: Map<string, unknown>;
  /** Schedule prefixes already run in this exploration, for cross-schedule findings. */
  readonly label?: string;
  /** Record what each step touched (`footprints`), for partial-order reduction. */
  readonly record?: boolean;
  /** Go on past a finding that leaves the run able to continue, collecting the first
   * finding of each kind (`findings`), so that no kind hides behind another. */
  readonly keepGoing?: boolean;
  /** Keep going past findings of other kinds and stop at the first of this kind: a
   * finding `keepGoing` collected behind another is replayed, and shrunk, this way. */
  readonly stopAt?: string;
  /** A run whose trace someone will read (a replay, a shrunk finding): it records
   * the model's events, the stack of each scheduling point and what a failing
   * invariant read. Exploration leaves it off and pays for none of it. */
  readonly trace?: boolean;
  /** Called once, just before step `step` runs (after the checks of the one before):
   * a replay looks at the state there. */
  readonly before?: { readonly step: number; readonly fn: (run: Run) => void };
  /** The program records every access to the state its threads and checks share
   * (Program.tracked). Its invariants are then checked only after a step that wrote
   * something they read when last checked (see checkInvariants()). */
  readonly tracked?: boolean;
  /** Check every invariant after every step, as if none could be skipped (tests
   * compare the two). Default: SEPTCHECK_EXHAUSTIVE_CHECKS=1 in the environment. */
  readonly exhaustiveChecks?: boolean;
  /** The layer above puts everything into its reports (e.g. the kernel captures
   * KASAN's allocation and free stacks); off, it may leave out what costs to record
   * on every step and is read only when a report is written. Default true; an
   * exploration turns it off and gets the detail from a detailed run of the schedule
   * of each finding that lacks it (see detail.ts). */
  readonly detailed?: boolean;
}

/** SEPTCHECK_EXHAUSTIVE_CHECKS=1: every invariant after every step (RunOptions). */
export const EXHAUSTIVE_CHECKS_DEFAULT = typeof process !== 'undefined' && process.env.SEPTCHECK_EXHAUSTIVE_CHECKS === '1';

/** Invariants beyond this many (one bit each in a 31-bit mask) are checked after
 * every step. */
const MAX_WATCHED = 31;

/** checkInvariants() visits every invariant to find those due, rather than only the
 * bits due (tests compare the two). */
export const EAGER_CHECK_SCAN = { on: false };

/** Who reads one key, as of their last check: a bit per invariant, and the range each
 * read of it spans (the bounds of all its reads of the key). */
class KeyReaders {
  mask = 0;
  readonly lo: number[] = [];
  readonly hi: number[] = [];
}

/** An invariant being checked, as a queue of changes it drains remembers it (see
 * Run.recheck()). */
export interface CheckHandle {
  readonly name: string;
}

/** An invariant and what its last check read (see checkInvariants()). */
class Watched implements Invariant, CheckHandle {
  /** The keys the last check read. */
  readonly keys: KeyReaders[] = [];
  /** `@inv:NAME` written, made once. */
  visible: Footprint | undefined = undefined;
  /** See Run.drivenCheck(). */
  driven = false;

  /** Index of `bit`. */
  readonly index: number;

  constructor(
    readonly name: string,
    readonly check: Invariant['check'],
    readonly bit: number,
  ) {
    this.index = 31 - Math.clz32(bit);
  }
}

/** Where a finding comes from, for the layer that words its report. */
export interface ReportContext {
  /** `step`: raised by a thread's own code; `invariant`: a check after a step;
   * `run`: the run itself (deadlock, livelock, a thread that threw, ...). */
  readonly origin: 'step' | 'invariant' | 'run';
  /** The thread whose step it is charged to, if any. */
  readonly thread: SimThread | null;
  readonly step: number;
}

/** Rewords a finding as it is raised (the kernel adds its report, held locks and
 * call trace); returns the finding to record. */
export type Reporter = (f: FindingInput, ctx: ReportContext) => FindingInput;

/** The footprint key of what decides which threads of a CPU may run (handlers
 * running there, preemption and interrupt masking). */
export function cpuKey(cpu: number): string {
  return `cpu:${cpu}`;
}

/** The footprint key of a thread's exit: written when it finishes, read by whatever
 * asks whether it has (isDone(), allDone(), a wait on it). */
export function exitKey(thread: string): string {
  return `@exit:${thread}`;
}

const NEVER: Promise<void> = new Promise(() => {});
/** The resolver of the promise point() just made: one executor for every point,
 * rather than a closure per step (runs never overlap, and executors run at once). */
let parked: (() => void) | null = null;
function park(resume: () => void): void {
  parked = resume;
}
const RESOLVED: Promise<void> = Promise.resolve();
const NO_METRICS: ReadonlyMap<string, number> = new Map();

// Closures and tsx's keepNames (the comments that mention keepNames point here). tsx
// compiles with esbuild's keepNames: a function expression that takes a name from
// where it is put (a const, a class field, an object literal's property) is wrapped
// in __name(fn, "name"), an Object.defineProperty on the new closure each time the
// expression runs. Made per run or per model object, that is measurable: 1.3 to 1.4%
// of v5-44-fixed apiece for three such closures (tracked()'s proxy maker,
// kvm_gmem_set_attributes()'s lock hook, kvm_vcpu_retry()'s wait). A closure a
// module-level function returns (`return () => ...`) has no name to keep and is not
// wrapped, so such closures are made that way. One assigned to a property in a
// constructor or a method is not wrapped either, but was measured to keep runs alive
// past minor GCs (lock_base's waitsOn closures, Run.self).

/**
 * One execution of a scenario under one schedule. Callback-driven: each scheduling
 * point hands control straight to the next chosen thread, so only one simulated
 * thread is ever live and the run is a pure function of the choices.
 */
export class Run {
  /** The run whose threads are executing now, if any. Code that has no object to
   * reach its run through (e.g. `rcu_read_lock()`) finds it here. Runs execute one
   * at a time: a whole schedule runs in microtasks. */
  static live: Run | null = null;
  /** Told of every step, for a watchdog outside the engine (the sweep's worker). */
  static probe: StepProbe | null = null;

  readonly threads: SimThread[] = [];
  /** Thread id chosen at each step. */
  readonly choices: number[] = [];
  /** Operation performed at each step. */
  readonly ops: Op[] = [];
  /** Slot for the layer above (the kernel keeps its per-run state here). */
  ext: unknown = undefined;
  /** The switches so far (see Switch), derived from `choices` and `ops` when asked:
   * a step is a switch when its thread is not the one of the step before. */
  get switches(): readonly Switch[] {
    const out = this.switchCache;
    for (let s = this.switchScan; s < this.choices.length; s++) {
      const id = this.choices[s]!;
      if (s === 0 || id !== this.choices[s - 1]) out.push({ step: s, thread: this.threads[id]!.name, op: this.ops[s]!.kind });
    }
    this.switchScan = this.choices.length;
    return out;
  }
  readonly shared: Map<string, unknown>;
  current: SimThread | null = null;
  /** The last thread chosen that is not `free` (see ChoicePoint.owner). */
  owner: SimThread | null = null;
  step = 0;
  preemptions = 0;
  finding: Finding | null = null;
  /** Every finding of the run, one per kind, in order (with `keepGoing`; else the first). */
  readonly findings: Finding[] = [];
  finished = false;
  /** The run ended while some thread could still have run (a finding stopped it, or
   * the step bound): what those threads would have done next is unknown. */
  cutShort = false;
  /** With `record`: per step, what it touched: its point's declared footprint, what
   * its effect recorded with `touch()`, and what the invariants make of it. */
  readonly footprints: Footprint[][] | null;
  /** Why some state this run uses is not recorded (set by `untracked()`): partial-order
   * reduction is then unsound, and dpor explores every schedule. */
  untrackedReason: string | null = null;
  /** An error of the strategy (not of a thread), rethrown to the explorer. */
  strategyError: unknown = undefined;
  readonly done: Promise<void>;
  /** See RunOptions.trace. */
  readonly tracing: boolean;
  /** See RunOptions.detailed. */
  readonly detailed: boolean;
  /** Set by the layer above when a report of this run read something the run left
   * out, not being `detailed` (a stack it did not capture): its findings are then
   * marked `undetailed` (see detail.ts). */
  undetailed = false;

  protected readonly maxSteps: number;
  private readonly invariants: Watched[] = [];
  /** Invariants are skipped when nothing they read changed (tracked programs). */
  private skipChecks: boolean;
  /** What touch() does besides filling `sink`: nothing (0), note a step's writes
   * (1), or collect the reads of the invariant being checked (2). */
  private watchMode: 0 | 1 | 2 = 0;
  /** The invariant being checked (watch 2). */
  private checking: Watched | null = null;
  /** Per key, the invariants whose last check read it (made on first use). */
  private readers: Map<string, KeyReaders> | null = null;
  /** The key read last by a check, and its readers. */
  private lastKey = '';
  private lastReaders: KeyReaders | null = null;
  /** Invariants (bits) some write reached since their last check. */
  private dirty = 0;
  /** Invariants (bits) re-checked after the next step whatever it writes: the last
   * check read nothing recorded, wrote something, threw or found something. One with
   * no bit (beyond MAX_WATCHED) is checked after every step. */
  private always = 0;
  /** Each CPU's write of its key, made once. */
  private readonly cpuWrites: Footprint[] = [];
  private readonly eligibility: Array<(t: SimThread) => boolean> = [];
  /** Results of steps, made on first use: most steps have none. */
  private results: Map<number, string> | null = null;
  /** Notes of steps (what a step's effect did besides its operation), made on first use. */
  private notes: Map<number, string[]> | null = null;
  private traceCache: TraceEvent[] | null = null;
  /** Traced runs: the model's events by step, and each step's stack. */
  private events: Map<number, string[]> | null = null;
  private readonly stacks: (Error | null)[] | null;
  private readonly reporters: Reporter[] = [];
  private readonly describers: Describer[] = [];
  private readonly before: RunOptions['before'] | null;
  /** A wait condition that threw (see waits()). */
  private waitFault: { readonly t: SimThread; readonly e: unknown } | null = null;
  /** Where the finding being raised comes from (see ReportContext). */
  private origin: ReportContext['origin'] = 'step';
  private readonly cp: { run: Run; step: number; enabled: readonly SimThread[]; current: SimThread | null; owner: SimThread | null };
  /** Handlers running on each CPU, innermost last. */
  private handlers: Map<number, SimThread[]> | null = null;
  private activeHandlers = 0;
  private readonly onExit: Array<(t: SimThread) => void> = [];
  private metricReaders: Map<string, () => number> | null = null;
  /** The switches derived so far, and the steps scanned for them. */
  private readonly switchCache: Switch[] = [];
  private switchScan = 0;
  /** See local(). */
  private locals: Map<object, unknown> | null = null;
  private resolveDone!: () => void;
  private chooser: Chooser;
  private readonly keepGoing: boolean;
  private readonly stopAt: string | undefined;
  /** A finding that ends the run at the next point (always, without `keepGoing`). */
  private stopping = false;
  /** Where `touch()` records now: the running step's footprint, an invariant's
   * reads, or nowhere. */
  private sink: Footprint[] | null = null;
  /** Each CPU's read of its key, made once (every recorded step adds one). */
  private readonly cpuReads: Footprint[] = [];
  /** The thread just resumed, until its continuation runs (see decide()). */
  private handoff: SimThread | null = null;
  /** The thread that made the last scheduling point. */
  private lastCaller: SimThread | null = null;
  /** This run, as a settled promise whose reaction clears `handoff` (see decide());
   * made at the first hand-off. Not a closure over the run (tsx's keepNames: see the
   * note above this class): one made in the constructor or a method was measured to
   * keep runs alive until they are promoted (the heap grew by megabytes per scavenge). */
  private self: Promise<Run> | null = null;
  /** The enabled threads of the last decide() (ChoicePoint.enabled). */
  private readonly enabledBuf: SimThread[] = [];

  constructor(chooser: Chooser, opts: RunOptions) {
    this.chooser = chooser;
    this.maxSteps = opts.maxSteps;
    this.shared = opts.shared;
    // A traced run records footprints too, for the reader (what a step touched).
    this.footprints = opts.record === true || opts.trace === true ? [] : null;
    this.stopAt = opts.stopAt;
    this.keepGoing = opts.keepGoing === true || opts.stopAt !== undefined;
    this.tracing = opts.trace === true;
    this.detailed = opts.detailed ?? true;
    this.stacks = this.tracing ? [] : null;
    this.before = opts.before ?? null;
    this.skipChecks = opts.tracked === true && !(opts.exhaustiveChecks ?? EXHAUSTIVE_CHECKS_DEFAULT);
    this.done = new Promise((r) => (this.resolveDone = r));
    this.cp = { run: this, step: 0, enabled: this.enabledBuf, current: null, owner: null };
  }

  /** The executed steps as events. Built on demand: exploration records only the
   * thread and operation of each step. */
  get trace(): TraceEvent[] {
    if (this.traceCache !== null && this.traceCache.length === this.step) return this.traceCache;
    const out: TraceEvent[] = new Array(this.step);
    for (let i = 0; i < this.step; i++) {
      const t = this.threads[this.choices[i]!]!;
      const op = this.ops[i]!;
      const ev: TraceEvent =
        op.obj === undefined
          ? { step: i, thread: t.name, cpu: t.cpu, op: op.kind }
          : { step: i, thread: t.name, cpu: t.cpu, op: op.kind, obj: op.obj };
      const res = this.results?.get(i);
      const notes = this.notes?.get(i);
      if (notes !== undefined) ev.result = [...(res === undefined ? [] : [res]), ...notes].join('; ');
      else if (res !== undefined) ev.result = res;
      const evs = this.events?.get(i);
      if (evs !== undefined) ev.events = evs.slice();
      const fp = this.tracing ? this.footprints?.[i] : undefined;
      if (fp !== undefined) ev.footprint = uniqueFootprints(fp).map((x) => `${accessOf(fp, x)} ${footprintLabel(x)}`);
      out[i] = ev;
    }
    return (this.traceCache = out);
  }

  /** Creates a thread. It first runs when the scheduler picks it; `start` may gate that. */
  spawn(
    name: string,
    body: (t: SimThread) => Promise<unknown> | unknown,
    opts: { cpu?: number; level?: number; start?: Op; free?: boolean } = {},
  ): SimThread {
    for (let k = 0; k < this.threads.length; k++) if (this.threads[k]!.name === name) throw new Error(`duplicate thread name '${name}'`);
    const id = this.threads.length;
    const t = new SimThread(id, name, opts.cpu ?? id, opts.level ?? 0, opts.start ?? START);
    t.free = opts.free === true;
    t.parent = this.current;
    this.threads.push(t);
    const gate = new Promise<void>(park);
    t.resume = parked;
    parked = null;
    gate
      .then(() => body(t))
      .then(
        () => this.exit(t),
        (e: unknown) => this.crash(t, e),
      );
    return t;
  }

  /** Registers a check run after every step. */
  invariant(name: string, check: Invariant['check']): void {
    const bit = this.invariants.length < MAX_WATCHED ? 1 << this.invariants.length : 0;
    this.invariants.push(new Watched(name, check, bit));
    this.always |= bit;
  }

  /** Names of the invariants registered so far (a scenario's `expect` is checked
   * against them after a set-up that is never started). */
  invariantNames(): string[] {
    return this.invariants.map((i) => i.name);
  }

  /** Registers an extra condition a thread must meet to be scheduled (e.g. the
   * kernel's preemption and interrupt masking). It may depend only on the state of
   * the thread's CPU, and whatever changes that state must write `cpuKey(cpu)`. */
  constrain(eligible: (t: SimThread) => boolean): void {
    this.eligibility.push(eligible);
  }

  /** Called when a thread finishes, before the next choice. */
  onThreadExit(fn: (t: SimThread) => void): void {
    this.onExit.push(fn);
  }

  /** Per-run state of a layer above, under a key of that layer's own (a module-level
   * object): made by `make` on first use, it lives exactly as long as the run. Use it
   * rather than a WeakMap keyed by the run (or by anything per run): V8's minor GC
   * keeps a WeakMap's values alive until the next full GC, so state held that way
   * (and the whole run it reaches) survives every minor GC and is promoted, which
   * costs far more than the run itself. */
  local<T>(key: object, make: () => T): T {
    const m = (this.locals ??= new Map());
    let v = m.get(key) as T | undefined;
    if (v === undefined && !m.has(key)) m.set(key, (v = make()));
    return v as T;
  }

  /** The state local() holds under `key`, if it was made. */
  localOf<T>(key: object): T | undefined {
    return this.locals?.get(key) as T | undefined;
  }

  /** Sets the state local() holds under `key`. */
  setLocal<T>(key: object, value: T): void {
    (this.locals ??= new Map()).set(key, value);
  }

  /** Registers a figure read once the schedule ends (e.g. SPTE visits); the
   * exploration reports the largest value over its schedules. */
  metric(name: string, read: () => number): void {
    (this.metricReaders ??= new Map()).set(name, read);
  }

  /** The registered figures, read now (none registered: nothing allocated). */
  metrics(): ReadonlyMap<string, number> {
    if (this.metricReaders === null) return NO_METRICS;
    const out = new Map<string, number>();
    for (const [k, read] of this.metricReaders) out.set(k, read());
    return out;
  }

  /** Records an event of the running step in a traced run (an attribute change, a
   * SEAMCALL's status, ...). Callers build the text only when `tracing`. Events of
   * the set-up (no step yet) belong to no step and are dropped. */
  event(text: string): void {
    if (!this.tracing || this.step === 0) return;
    const step = this.step - 1;
    const events = (this.events ??= new Map());
    const list = events.get(step);
    if (list === undefined) events.set(step, [text]);
    else list.push(text);
    this.traceCache = null;
  }

  /** The stack that made step `step`'s scheduling point, in a traced run; null for a
   * thread's start or when not traced. */
  stackAt(step: number): string | null {
    const e = this.stacks?.[step] ?? null;
    return e === null ? null : stackOf(e);
  }

  /** The stack of the point `t` waits at now, in a traced run. */
  pendingStack(t: SimThread): string | null {
    return t.at === null ? null : stackOf(t.at);
  }

  /** Adds a reporter (see Reporter); the layer above registers one per run. */
  onReport(fn: Reporter): void {
    this.reporters.push(fn);
  }

  /** Adds a describer of shared state, for a report's state difference. */
  describeWith(fn: Describer): void {
    this.describers.push(fn);
  }

  /** The values of what `reads` name, now, one line each. */
  describe(reads: readonly Footprint[]): string[] {
    return describeState(this.describers, reads);
  }

  /** Records an access of the running step (or of the invariant being checked).
   * Everything a step's effect reads or writes of shared state must pass here or be
   * declared by its point; the kernel and tracked cells do it for their state. */
  touch(f: Footprint): void {
    if (this.sink !== null) this.sink.push(f);
    const w = this.watchMode;
    if (w === 2 || (w === 1 && f.access !== 'read')) {
      const r = f.range;
      if (r === undefined) this.watched(f.key, f.access, -Infinity, Infinity);
      else this.watched(f.key, f.access, r[0], r[1]);
    }
  }

  /** touch({ key, access, range: [lo, hi] }), building the footprint only when it is
   * kept (a recorded run): the model's choke points call this. */
  touchRange(key: string, access: 'read' | 'write', lo: number, hi: number): void {
    if (this.sink !== null) this.sink.push({ key, access, range: [lo, hi] });
    const w = this.watchMode;
    if (w === 2 || (w === 1 && access !== 'read')) this.watched(key, access, lo, hi);
  }

  /** Whether accesses are being recorded now (to skip building footprints). */
  get recording(): boolean {
    return this.sink !== null || this.watchMode !== 0;
  }

  /** Whether accesses go into a footprint now (a recorded or traced run's step or
   * check), not only to the invariants' watch, which keeps of each key's reads just
   * their bounds: a reader that is watched only may record a run of reads at once. */
  get footprinting(): boolean {
    return this.sink !== null;
  }

  /** Whether reads are being recorded now: `recording`, less a step of a run that
   * records only what steps write (to skip building the footprints of reads). */
  get recordingReads(): boolean {
    return this.sink !== null || this.watchMode === 2;
  }

  /** Declares that this run uses state whose accesses are not recorded: dpor must
   * then treat every step as touching everything, and every invariant is checked
   * after every step. */
  untracked(reason: string): void {
    this.untrackedReason ??= reason;
    this.skipChecks = false;
  }

  /** An access while watching: a step's write makes the invariants that read it dirty;
   * an invariant's read is noted for its next check. */
  private watched(key: string, access: Footprint['access'], lo: number, hi: number): void {
    if (this.watchMode === 2) {
      const inv = this.checking!;
      if (access !== 'read') {
        // A check that writes is checked after every step (and its writes reach the others).
        this.always |= inv.bit;
        this.wrote(key, lo, hi);
        return;
      }
      if (inv.bit === 0) return;
      const i = inv.index;
      // Reads come in runs of one key (a walk): the last key's readers are at hand.
      let kr = this.lastReaders;
      if (kr === null || this.lastKey !== key) {
        const readers = (this.readers ??= new Map());
        kr = readers.get(key) ?? null;
        if (kr === null) readers.set(key, (kr = new KeyReaders()));
        this.lastKey = key;
        this.lastReaders = kr;
      }
      if ((kr.mask & inv.bit) === 0) {
        kr.mask |= inv.bit;
        kr.lo[i] = lo;
        kr.hi[i] = hi;
        inv.keys.push(kr);
      } else {
        if (lo < kr.lo[i]!) kr.lo[i] = lo;
        if (hi > kr.hi[i]!) kr.hi[i] = hi;
      }
      return;
    }
    if (access !== 'read') this.wrote(key, lo, hi);
  }

  /** A write of `key` over [lo, hi): every invariant whose last check read it there
   * must be checked again (the test is dpor's clash(), on the bounds of its reads). */
  private wrote(key: string, lo: number, hi: number): void {
    if (key === ANY_KEY) {
      this.dirty = -1;
      return;
    }
    const kr = this.readers?.get(key);
    if (kr === undefined) return;
    let clean = kr.mask & ~this.dirty;
    while (clean !== 0) {
      const bit = clean & -clean;
      clean ^= bit;
      const i = 31 - Math.clz32(bit);
      if (kr.lo[i]! < hi && lo < kr.hi[i]!) this.dirty |= bit;
    }
  }

  /** A shared variable whose reads and writes are recorded (see tracked.ts). */
  cell<T>(name: string, value: T): Cell<T> {
    return new Cell(this, name, value);
  }

  /** A shared object whose property accesses are recorded (see tracked.ts). */
  state<T extends object>(name: string, init: T): T {
    return tracked(this, name, init);
  }

  /** Whether thread `name` has finished; a read of its exit, for dependency. */
  isDone(name: string): boolean {
    const t = this.threads.find((x) => x.name === name);
    this.touch(t === undefined ? { key: exitKey(name), access: 'read' } : t.exitRead);
    return t !== undefined && t.state === 'done';
  }

  /** Whether every thread has finished; reads every thread's exit. */
  allDone(): boolean {
    let all = true;
    for (const t of this.threads) {
      this.touch(t.exitRead);
      if (t.state !== 'done') all = false;
    }
    return all;
  }

  /** A scheduling point: the current thread will perform `op` once chosen. */
  point(op: Op): Promise<void> {
    const t = this.current;
    if (this.finished || t === null) return NEVER; // a thread of a run that has ended
    // Still in the job that handed the CPU to `t`, whose code has not resumed yet: the
    // caller is the thread that made the last point and went on without awaiting it.
    if (this.handoff === t && this.lastCaller !== null && this.lastCaller !== t) return this.missingAwait(this.lastCaller, op);
    this.lastCaller = t;
    t.pending = op;
    t.state = 'ready';
    t.resume = null;
    if (this.stacks !== null) t.at = captureStack();
    this.decide();
    // Chosen again at once: no promise to make, the thread just goes on.
    if (this.current === t && (t.state as ThreadState) === 'running') return RESOLVED;
    const p = new Promise<void>(park);
    t.resume = parked;
    parked = null;
    return p;
  }

  /** Records the result of the current step in the trace. */
  result(value: string): void {
    if (this.step > 0) (this.results ??= new Map()).set(this.step - 1, value);
    this.traceCache = null;
  }

  /** Adds a note to the current step's trace entry, after its result: something the
   * step's effect did that is not a scheduling point of its own (e.g. a kmalloc()
   * that failed by injection, `kmalloc(64, GFP_KERNEL) = NULL [injected]`). */
  note(text: string): void {
    if (this.step === 0) return;
    const m = (this.notes ??= new Map());
    const list = m.get(this.step - 1);
    if (list === undefined) m.set(this.step - 1, [text]);
    else list.push(text);
    this.traceCache = null;
  }

  /** Raises a finding. The run stops at the next scheduling point, unless it keeps
   * going (`keepGoing`) and the finding is not `fatal` (the thread cannot go on). */
  report(f: FindingInput, fatal = false): void {
    if (this.finished) return;
    if (fatal || !this.keepGoing || f.kind === this.stopAt) this.stopping = true;
    if (this.finding !== null && (!this.keepGoing || this.findings.some((x) => x.kind === f.kind))) return;
    const ctx: ReportContext = { origin: this.origin, thread: this.current, step: this.step - 1 };
    for (const r of this.reporters) f = reword(r, f, ctx);
    const finding: Finding = {
      ...f,
      step: this.step - 1,
      thread: this.current?.name,
      trace: this.trace,
      schedule: this.schedule(),
    };
    this.finding ??= finding;
    this.findings.push(finding);
  }

  /** The semantic schedule executed so far. */
  schedule(): Schedule {
    return { switches: this.switches.slice(), steps: this.step };
  }

  /** Starts the run; resolves when it ends. */
  start(): Promise<void> {
    this.goLive();
    this.decide();
    return this.done;
  }

  /** Makes this the live run; runs never overlap. */
  protected goLive(): void {
    const other = Run.live;
    if (other !== null && !other.finished) throw new Error('another schedule is still running: explorations in one process must not overlap');
    Run.live = this;
  }

  /** Called when the thread being run awaited something other than the scheduler. */
  escape(): void {
    if (this.finished) return;
    const t = this.current;
    const last = t ? lastOpOf(this.trace, t.name) : undefined;
    this.report({
      kind: 'escaped-scheduler',
      message: `thread ${t?.name ?? '?'} awaited something other than the scheduler after ${last ?? 'its start'}`,
    }, true);
    this.cutShort = true;
    this.finish();
  }

  /** Whether `t` may be chosen now. */
  isEnabled(t: SimThread): boolean {
    if (t.state !== 'ready') return false;
    const w = t.pending.waitsOn;
    if (w !== undefined && this.waits(t, w)) return false;
    const hs = this.activeHandlers === 0 ? undefined : this.handlers!.get(t.cpu);
    if (hs !== undefined && hs.length > 0) {
      const top = hs[hs.length - 1]!;
      if (top !== t && t.level <= top.level) return false;
    }
    for (let i = 0; i < this.eligibility.length; i++) if (!this.eligibility[i]!(t)) return false;
    return true;
  }

  /** Whether `t` waits at its point. A condition that throws is `t`'s error, reported
   * at the next decision (not an exception of whichever thread asked). */
  private waits(t: SimThread, w: NonNullable<Op['waitsOn']>): boolean {
    try {
      return w() !== null;
    } catch (e) {
      this.waitFault ??= { t, e };
      return true;
    }
  }

  /** `t`'s exit is written; its footprint is made only when something records it. */
  private touchExit(t: SimThread): void {
    if (this.recording) this.touch(t.exitWrite);
  }

  private exit(t: SimThread): void {
    if (this.finished) return;
    this.touchExit(t);
    t.state = 'done';
    t.resume = null;
    if (t.level > 0 && t.started) {
      this.touch(this.cpuWrite(t.cpu));
      this.handlers!.get(t.cpu)?.pop();
      this.activeHandlers--;
    }
    for (const fn of this.onExit) fn(t);
    this.decide();
  }

  private crash(t: SimThread, e: unknown): void {
    if (this.finished) return;
    this.touchExit(t);
    this.threw(t, 'thread-exception', `thread ${t.name} threw`, e);
    t.state = 'done';
    this.decide();
  }

  /** Reports that thread `t`'s code threw `e` (its body, or its wait condition):
   * the error, where it was thrown and what the thread had done. */
  private threw(t: SimThread, kind: string, what: string, e: unknown, fatal = false): void {
    const error = describeThrown(e); // whatever was thrown: describing it never throws
    const stack = thrownFrames(e);
    const history = this.trace.filter((ev) => ev.thread === t.name);
    const prev = this.current;
    this.current = t; // charged to `t`, whichever thread ran last
    this.origin = 'run';
    this.report({ kind, message: `${what}: ${error}`, details: { thread: t.name, error, stack, history: renderOps(history) } }, fatal);
    this.origin = 'step';
    this.current = prev;
  }

  protected finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.current = null;
    if (Run.live === this) Run.live = null;
    this.resolveDone();
  }

  /** The step just taken is complete: check, then pick and release the next thread. */
  protected decide(): void {
    if (this.finished) return;
    this.sink = null;
    this.watchMode = 0;
    Run.probe?.between(this);
    if (!this.stopping && this.invariants.length > 0) this.checkInvariants();
    if (this.stopping) {
      this.cutShort = this.threads.some((t) => t.state !== 'done' && this.isEnabled(t));
      return this.finish();
    }
    const before = this.before;
    if (before !== null && before !== undefined && this.step === before.step) before.fn(this);

    // Refilled in place (ChoicePoint.enabled is not kept): its length changes only
    // when a thread finishes or waits.
    const enabled = this.enabledBuf;
    const threads = this.threads;
    const owner = this.owner;
    let unfinished = 0;
    let n = 0;
    let ownerEnabled = false;
    for (let k = 0; k < threads.length; k++) {
      const t = threads[k]!;
      if (t.state === 'done') continue;
      unfinished++;
      if (this.isEnabled(t)) {
        enabled[n++] = t;
        if (t === owner) ownerEnabled = true;
      }
    }
    if (enabled.length !== n) enabled.length = n;
    if (this.waitFault !== null) {
      const { t, e } = this.waitFault;
      this.threw(t, 'thread-exception', `thread ${t.name}'s wait in ${opText(t.pending)} threw`, e, true);
      this.cutShort = true;
      return this.finish();
    }
    if (enabled.length === 0) {
      if (unfinished > 0) this.deadlock();
      return this.finish();
    }
    if (this.step >= this.maxSteps) {
      this.livelock();
      this.cutShort = true;
      return this.finish();
    }
    const prev = this.current;
    let i = 0;
    if (enabled.length > 1) {
      const cp = this.cp;
      cp.step = this.step;
      cp.enabled = enabled;
      cp.current = prev;
      cp.owner = owner;
      try {
        i = this.chooser(cp);
      } catch (e) {
        this.strategyError = e;
        return this.finish();
      }
    }
    const t = enabled[i];
    if (t === undefined) throw new Error(`strategy chose ${i} of ${enabled.length} enabled threads`);
    // A preemption: a switch away from the owner while it could go on. Free threads
    // (fault injectors) are looked through: running one costs nothing, and coming
    // back from it to another thread than the owner costs what that switch would.
    if (!t.free) {
      if (t !== owner && owner !== null && owner.state === 'ready' && ownerEnabled) this.preemptions++;
      this.owner = t;
    }
    const op = t.pending;
    if (this.stacks !== null) {
      this.stacks.push(t.at);
      t.at = null;
    }
    if (this.footprints !== null) {
      // Whether a thread may run depends on its CPU (handlers, masking): every step
      // reads the CPU's key, and whatever changes that writes it (see cpuKey()).
      const fp = footprintOf(op).slice();
      fp.push((this.cpuReads[t.cpu] ??= { key: cpuKey(t.cpu), access: 'read' }));
      this.footprints.push(fp);
      this.sink = fp;
    }
    if (this.skipChecks) {
      // The step's writes, from here to its end, make the invariants that read them
      // dirty; what its point declares counts as written (as dpor counts it).
      this.watchMode = 1;
      const decl = op.footprint;
      if (decl !== undefined) {
        for (let k = 0; k < decl.length; k++) {
          const f = decl[k]!;
          if (f.access === 'read') continue;
          if (f.range === undefined) this.wrote(f.key, -Infinity, Infinity);
          else this.wrote(f.key, f.range[0], f.range[1]);
        }
      } else if (op.obj !== undefined) this.wrote(op.obj, -Infinity, Infinity);
    }
    if (!t.started) this.enter(t);
    this.ops.push(op);
    this.choices.push(t.id);
    this.step++;
    this.current = t;
    t.state = 'running';
    Run.probe?.step(this, t);
    // A thread that is choosing itself from inside point() has no resolver yet;
    // point() sees it is current and returns at once.
    const resume = t.resume;
    t.resume = null;
    if (resume !== null) {
      // Queued before `t`'s continuation, so it runs first: until then, any point
      // made is made by code still running in this job (see point()).
      this.handoff = t;
      // A reaction of a settled promise is queued as one microtask, as
      // queueMicrotask() does, without Node's per-call async resource.
      void (this.self ??= Promise.resolve(this)).then(endHandoff);
      resume();
    }
  }

  /** A thread called a primitive (a scheduling point) without awaiting the one before:
   * its steps would be charged to whichever thread runs next. */
  private missingAwait(caller: SimThread, op: Op): Promise<void> {
    const prev = caller.pending;
    const what = (o: Op) => (o.obj === undefined ? `${o.kind}()` : `${o.kind}(${o.obj})`);
    this.current = caller;
    this.report(
      {
        kind: 'missing-await',
        message: `thread ${caller.name} called ${what(op)} while its ${what(prev)} was not awaited: a missing await before ${what(prev)}`,
        details: { thread: caller.name, call: what(op), notAwaited: what(prev) },
      },
      true,
    );
    this.cutShort = true;
    this.finish();
    return NEVER;
  }

  /** The write of CPU `cpu`'s key, made once. */
  private cpuWrite(cpu: number): Footprint {
    return (this.cpuWrites[cpu] ??= { key: cpuKey(cpu), access: 'write' });
  }

  /** `t` takes its first step: a handler now runs over the lower levels of its CPU. */
  protected enter(t: SimThread): void {
    t.started = true;
    if (t.level > 0) {
      this.touch(this.cpuWrite(t.cpu));
      const handlers = (this.handlers ??= new Map());
      let hs = handlers.get(t.cpu);
      if (hs === undefined) handlers.set(t.cpu, (hs = []));
      hs.push(t);
      this.activeHandlers++;
    }
  }

  /** Runs the invariants on the state the last step left. When recording, a check
   * takes part in dependency: a step that wrote what a check read is visible to that
   * invariant, and the visible steps of one invariant are ordered with each other
   * (each writes the key `@inv:NAME` and reads what the check read), so every
   * schedule of one partial order shows the invariant the same sequence of states.
   *
   * In a tracked program (RunOptions.tracked) a check whose last run read only
   * recorded state, wrote nothing and found nothing is skipped until a step (or
   * another check) writes something it read then: it would read the same values and
   * come to the same result. What it read is kept as each key's bounds, and a write
   * makes it dirty as dpor's clash() would (so a skipped check is one whose
   * dependency a recorded run would not have added either). RunOptions.exhaustiveChecks
   * checks everything after every step instead. */
  protected checkInvariants(): void {
    const fp = this.footprints !== null && this.step > 0 ? this.footprints[this.step - 1]! : null;
    const invs = this.invariants;
    if (!this.skipChecks) {
      for (let i = 0; i < invs.length; i++) if (this.checkOne(invs[i]!, fp, false)) return;
      return;
    }
    // Only the invariants due are visited, in order: the lowest bit due above the
    // last one checked, as due after that check (a check's writes may make a later
    // one due), then those without a bit. EAGER_CHECK_SCAN visits each in turn.
    if (EAGER_CHECK_SCAN.on) {
      for (let i = 0; i < invs.length; i++) {
        const inv = invs[i]!;
        if (inv.bit !== 0 && ((this.always | this.dirty) & inv.bit) === 0) continue;
        if (this.checkOne(inv, fp, true)) return;
      }
      return;
    }
    const n = invs.length < MAX_WATCHED ? invs.length : MAX_WATCHED;
    const bits = n === MAX_WATCHED ? 0x7fffffff : (1 << n) - 1;
    let from = 0;
    for (;;) {
      const due = (this.always | this.dirty) & bits & (-1 << from);
      if (due === 0) break;
      const i = 31 - Math.clz32(due & -due);
      from = i + 1;
      if (this.checkOne(invs[i]!, fp, true)) return;
    }
    for (let i = MAX_WATCHED; i < invs.length; i++) if (this.checkOne(invs[i]!, fp, true)) return;
  }

  /** Checks one invariant (see checkInvariants()); true when the run stops here. */
  private checkOne(inv: Watched, fp: Footprint[] | null, skip: boolean): boolean {
    if (skip) {
      this.dirty &= ~inv.bit;
      // Cleared only when it holds keys: setting the length is a call even when
      // nothing changes (a driven check's list is always empty here). Written out
      // here and below, not as a Watched method: one measured 0.9x on v5-44-fixed.
      if (inv.keys.length !== 0) {
        for (const kr of inv.keys) kr.mask &= ~inv.bit;
        inv.keys.length = 0;
      }
      this.always &= ~inv.bit;
      this.checking = inv;
      // A check driven by its queues only (drivenCheck()) is re-checked when they
      // are pushed to, whatever it reads: its reads are not watched.
      if (!inv.driven) this.watchMode = 2;
    }
    let f: FindingInput | null;
    let reads: Footprint[] | null = null;
    if (fp === null && !this.tracing) f = checkInvariant(inv); // a check that throws is a finding too
    else {
      reads = [];
      this.sink = reads;
      try {
        f = checkInvariant(inv);
      } finally {
        this.sink = null;
      }
      // A check that recorded nothing read state no footprint names.
      if (fp !== null) {
        const r = reads.length === 0 ? [ANY_READ] : reads;
        if (conflicts(fp, r)) {
          fp.push((inv.visible ??= { key: `@inv:${inv.name}`, access: 'write' }));
          for (const x of r) fp.push(x.access === 'read' ? x : { ...x, access: 'read' });
        }
      }
    }
    if (skip) {
      this.watchMode = 0;
      this.checking = null;
      if (inv.driven) {
        // Declared during its first check, which was watched.
        if (inv.keys.length !== 0) {
          for (const kr of inv.keys) kr.mask &= ~inv.bit;
          inv.keys.length = 0;
        }
        if (f !== null) this.always |= inv.bit;
      } else if (f !== null || inv.keys.length === 0) this.always |= inv.bit;
    }
    if (f === null) return false;
    // A traced run says what the check read, as it is after the step.
    const state = reads === null || !this.tracing || f.kind === 'invariant-exception' ? undefined : this.readState(reads);
    this.origin = 'invariant';
    this.report({ ...f, message: `${f.message} (after step ${this.step - 1})`, ...(state === undefined ? {} : { state }) });
    this.origin = 'step';
    return this.stopping;
  }

  /** The invariant being checked now, for a queue of changes it drains (see
   * recheck()); null between checks. */
  get currentCheck(): CheckHandle | null {
    return this.checking;
  }

  /** Something `h`'s check depends on changed without a recorded write it read (a
   * queue of changes it drains, keyed by thread): check it after this step. */
  recheck(h: CheckHandle): void {
    this.dirty |= (h as Watched).bit;
  }

  /** `h`'s check finds nothing, reading nothing, unless a queue of changes it drains
   * was pushed to since it last ran (each push calls recheck()): it is then checked
   * only after such a push, and what it reads is not watched. Its reads are still
   * recorded for dpor in a recorded run. */
  drivenCheck(h: CheckHandle): void {
    (h as Watched).driven = true;
  }

  /** What a check read (each key once) that some describer knows, and its value
   * now; when it read nothing known (its own queue of changes, an untracked model),
   * what the step touched that some describer knows. */
  private readState(reads: readonly Footprint[]): NonNullable<FindingInput['state']> {
    const known = (fps: readonly Footprint[]) => {
      const keys = uniqueFootprints(fps).filter((x) => !x.key.startsWith('@') && !x.key.startsWith('cpu:'));
      const values = this.describe(keys);
      const kept = keys.map((x, i) => ({ x, v: values[i]! })).filter((e) => e.v !== UNKNOWN);
      return { reads: kept.map((e) => e.x), after: kept.map((e) => e.v) };
    };
    const checked = known(reads);
    if (checked.reads.length > 0) return { source: 'check', ...checked };
    return { source: 'step', ...known(this.footprints?.[this.step - 1] ?? []) };
  }

  protected deadlock(): void {
    const stuck: StuckThread[] = [];
    for (const t of this.threads) if (t.state !== 'done') stuck.push(this.whyStuck(t));
    const lines = stuck.map((s) => `${s.thread} (cpu${s.cpu}) ${stuckText(s)}`);
    this.current = null;
    this.origin = 'run';
    this.report({
      kind: 'deadlock',
      message: `deadlock: no thread can run (${plural(lines.length, 'thread')} stuck): ${lines.join('; ')}`,
      report: ['INFO: task blocked: deadlock detected', ...lines.map((l) => `  ${l}`)].join('\n'),
      details: { blocked: lines, stuck },
    });
    this.origin = 'step';
  }

  /** Why `t`, which has not finished, cannot run now. */
  private whyStuck(t: SimThread): StuckThread {
    const at = opText(t.pending);
    const base = { thread: t.name, cpu: t.cpu, at };
    const w = t.pending.waitsOn;
    let holders: readonly string[] | null = null;
    try {
      holders = w === undefined ? null : w();
    } catch {
      holders = []; // reported as its own finding when it ran
    }
    if (holders !== null) return { ...base, waitsFor: holders.slice() };
    const hs = this.handlers?.get(t.cpu);
    const top = hs?.[hs.length - 1];
    if (top !== undefined && top !== t && t.level <= top.level) return { ...base, interruptedBy: top.name };
    return { ...base, runnable: true };
  }

  protected livelock(): void {
    const c = livelockCycle(this.trace);
    this.origin = 'run';
    this.report({
      kind: 'livelock',
      message:
        c.times > 1
          ? `livelock: no progress within ${this.maxSteps} steps; from step ${c.from} the same ${plural(c.ops.length, 'step')} repeat ${c.times} times: ${c.ops.join(' -> ')}`
          : `livelock: no progress within ${this.maxSteps} steps; last steps: ${c.ops.join(' -> ')}`,
      details: { repeating: c.ops, from: c.from, times: c.times },
    });
    this.origin = 'step';
  }
}

/** A thread that cannot run when no thread can: it waits at its point (for the
 * threads `waitsFor` names, possibly none), is interrupted by a handler on its CPU, or
 * is runnable but kept off its CPU (by the layer above, e.g. preemption disabled). */
export interface StuckThread {
  readonly thread: string;
  readonly cpu: number;
  /** Its pending operation. */
  readonly at: string;
  readonly waitsFor?: readonly string[];
  readonly interruptedBy?: string;
  readonly runnable?: true;
}

function stuckText(s: StuckThread): string {
  if (s.waitsFor !== undefined) return `waits in ${s.at}${s.waitsFor.length > 0 ? `, held by ${s.waitsFor.join(', ')}` : ''}`;
  if (s.interruptedBy !== undefined) return `is interrupted before ${s.at} by ${s.interruptedBy}, which cannot finish`;
  return `is runnable at ${s.at} but may not run on cpu${s.cpu}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Runs one reporter; a reporter that throws leaves the finding as it was (and says
 * so) rather than turning a finding into a crash of the thread that raised it. */
function reword(r: Reporter, f: FindingInput, ctx: ReportContext): FindingInput {
  try {
    return r(f, ctx);
  } catch (e) {
    return { ...f, details: { ...f.details, reportError: describeThrown(e) } };
  }
}

/** Ends the hand-off of `run` (see decide()). */
function endHandoff(run: Run): void {
  (run as unknown as { handoff: SimThread | null }).handoff = null;
}

/** `kind(obj)` or `kind`. */
function opText(o: Op): string {
  return o.obj === undefined ? o.kind : `${o.kind}(${o.obj})`;
}

function lastOpOf(trace: readonly TraceEvent[], thread: string): string | undefined {
  for (let i = trace.length - 1; i >= 0; i--) {
    const ev = trace[i]!;
    if (ev.thread === thread) return ev.obj === undefined ? ev.op : `${ev.op}(${ev.obj})`;
  }
  return undefined;
}
