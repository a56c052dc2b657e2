// What a sweep worker is doing, published in a SharedArrayBuffer the parent reads. A
// scenario stuck in a synchronous loop (or an endless chain of microtasks) never
// lets its worker answer a message, so the worker writes its progress as it goes:
// a heartbeat per step, the phase, and the thread and point of the current step.
// When the parent terminates a stuck worker, this is what it reports.
import type { Run, Scenario, SimThread, StepProbe } from '../../src/engine/index.ts';

/** What the worker is doing. */
export const Phase = {
  /** Between scenarios, or in the engine between schedules. */
  Idle: 0,
  /** Importing the scenario file. */
  Load: 1,
  /** The scenario's setup(run, params). */
  Setup: 2,
  /** A thread's step: its code after a scheduling point. */
  Step: 3,
  /** After a step: the invariants, then the strategy's choice. */
  Between: 4,
  /** Another of the scenario's functions: validate, stateHash, paramsArbitrary. */
  Hook: 5,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

// Int32 slots of the header.
const BEAT = 0;
const PHASE = 1;
const SCHEDULES = 2;
const STEP = 3;
const THREAD = 4;
const KIND = 5;
const OBJ = 6;
const HOOK = 7;
const STRINGS = 8;
const BYTES_USED = 9;
const HEADER = 16;
/** Strings (thread names, operations) the table holds; later ones read as '?'. */
const MAX_STRINGS = 4096;
const TABLE_BYTES = 128 * 1024;
const BYTES_AT = (HEADER + 2 * MAX_STRINGS) * 4;

/** Size of the shared buffer one task needs. */
export const PROBE_BYTES = BYTES_AT + TABLE_BYTES;

/** The worker's side: cheap enough to call at every step. Its single writer uses
 * plain stores: the parent only acts on what stayed unchanged for a second or more,
 * long after any store is visible; only the string table is published in order. */
export class ProbeWriter implements StepProbe {
  private readonly ints: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly ids = new Map<string, number>();
  private readonly encoder = new TextEncoder();
  /** Ids of the current run's thread names, by thread id. */
  private run: Run | null = null;
  private threadIds: number[] = [];

  constructor(buffer: SharedArrayBuffer) {
    this.ints = new Int32Array(buffer, 0, HEADER + 2 * MAX_STRINGS);
    this.bytes = new Uint8Array(buffer, BYTES_AT, TABLE_BYTES);
  }

  /** Enters a phase; `hook` names the function for Phase.Hook. */
  phase(p: Phase, hook?: string): void {
    const ints = this.ints;
    if (hook !== undefined) ints[HOOK] = this.intern(hook);
    ints[PHASE] = p;
    ints[BEAT]!++;
  }

  /** A schedule ended. */
  scheduleDone(): void {
    this.ints[SCHEDULES]!++;
  }

  /** No heartbeat here: the step that follows gives one; invariants that never
   * return leave the phase at Between. */
  between(run: Run): void {
    const ints = this.ints;
    ints[STEP] = run.step;
    ints[PHASE] = Phase.Between;
  }

  step(run: Run, t: SimThread): void {
    const ints = this.ints;
    const op = t.pending;
    if (run !== this.run) {
      this.run = run;
      this.threadIds = [];
    }
    ints[STEP] = run.step;
    ints[THREAD] = this.threadIds[t.id] ??= this.intern(t.name);
    ints[KIND] = this.intern(op.kind);
    ints[OBJ] = op.obj === undefined ? -1 : this.intern(op.obj);
    ints[PHASE] = Phase.Step;
    ints[BEAT]!++;
  }

  private intern(s: string): number {
    const known = this.ids.get(s);
    if (known !== undefined) return known;
    const n = Atomics.load(this.ints, STRINGS);
    const used = Atomics.load(this.ints, BYTES_USED);
    const { written } = this.encoder.encodeInto(s.slice(0, 256), this.bytes.subarray(used));
    if (n >= MAX_STRINGS || used + written >= TABLE_BYTES) return -1;
    this.ints[HEADER + 2 * n] = used;
    this.ints[HEADER + 2 * n + 1] = written;
    Atomics.store(this.ints, BYTES_USED, used + written);
    Atomics.store(this.ints, STRINGS, n + 1); // published last: readers see whole strings
    this.ids.set(s, n);
    return n;
  }
}

/** What the worker was doing, as the parent reads it. */
export interface ProbeState {
  readonly beat: number;
  readonly phase: Phase;
  /** Schedules finished. */
  readonly schedules: number;
  /** Steps of the current schedule. */
  readonly step: number;
  /** Thread of the current (or last) step, and the point it was let past. */
  readonly thread: string;
  readonly point: string;
  /** The function of Phase.Hook. */
  readonly hook: string;
}

/** The parent's side. */
export class ProbeReader {
  private readonly ints: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly decoder = new TextDecoder();

  constructor(buffer: SharedArrayBuffer) {
    this.ints = new Int32Array(buffer, 0, HEADER + 2 * MAX_STRINGS);
    this.bytes = new Uint8Array(buffer, BYTES_AT, TABLE_BYTES);
  }

  beat(): number {
    return Atomics.load(this.ints, BEAT);
  }

  state(): ProbeState {
    const kind = this.string(Atomics.load(this.ints, KIND));
    const obj = Atomics.load(this.ints, OBJ);
    return {
      beat: this.beat(),
      phase: Atomics.load(this.ints, PHASE) as Phase,
      schedules: Atomics.load(this.ints, SCHEDULES),
      step: Atomics.load(this.ints, STEP),
      thread: this.string(Atomics.load(this.ints, THREAD)),
      point: obj === -1 ? kind : `${kind}(${this.string(obj)})`,
      hook: this.string(Atomics.load(this.ints, HOOK)),
    };
  }

  private string(id: number): string {
    if (id < 0 || id >= Atomics.load(this.ints, STRINGS)) return '?';
    const at = this.ints[HEADER + 2 * id]!;
    const len = this.ints[HEADER + 2 * id + 1]!;
    // Copied out: TextDecoder does not read shared memory.
    return this.decoder.decode(this.bytes.slice(at, at + len));
  }
}

/** The scenario, telling the probe when its setup and state hash run (the steps and
 * the invariants between them the engine tells it itself). */
export function watched(s: Scenario, probe: ProbeWriter): Scenario {
  const stateHash = s.stateHash;
  return {
    ...s,
    setup(run, params) {
      probe.phase(Phase.Setup);
      void run.done.then(() => {
        probe.scheduleDone();
        probe.phase(Phase.Idle);
      });
      s.setup(run, params);
      probe.phase(Phase.Idle);
    },
    ...(stateHash === undefined
      ? {}
      : {
          stateHash(run) {
            probe.phase(Phase.Hook, 'stateHash');
            try {
              return stateHash.call(s, run);
            } finally {
              probe.phase(Phase.Idle);
            }
          },
        }),
  };
}

