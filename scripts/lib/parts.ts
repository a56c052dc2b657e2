// One split scenario in a sweep (--split) or a merge: which of its work items to run
// next and under which cap, what to make of each part as it comes in, and its
// record once the parts are resolved (src/engine/split.ts says how they add up).
import { capFor, mergeParts, relevant, resolveParts, witnessesToReconcile, type PartResult, type Reconciled, type SplitPlan } from '../../src/engine/index.ts';
import type { SweepTask, TaskResult } from './pool.ts';
import { replayCommand, type FindingRecord, type ScenarioRecord } from './record.ts';
import { scenarioRecord } from './record-of.ts';
import { errorRecord, fileInfo, type ScenarioInfo } from './verdict.ts';

/** One explored work item, as a worker sends it and --out keeps it (parts.jsonl). */
export type PartRecord = PartResult<FindingRecord> & {
  /** With `error`: what went wrong. */
  readonly message?: string;
};

/** The part of an item whose worker was stopped (time, hang, crash) or threw: the
 * error record the pool made of it. */
export function failedPart(item: number, cap: number, rec: ScenarioRecord): PartRecord {
  return {
    item,
    cap,
    schedules: rec.schedules,
    exhausted: false,
    found: false,
    error: rec.found,
    message: rec.findings[0]?.message ?? rec.claim,
    findings: [],
    steps: rec.steps,
    preemptions: 0,
    maxPreemptions: 0,
    firstFindingAt: 0,
    shrinkRuns: 0,
    metrics: {},
    states: [],
    witnesses: [],
  };
}

export interface SplitRunOptions {
  /** Items this process runs of its own accord: every one (a sweep), its shard's (a
   * sharded sweep), or those a shard left to the merge. */
  readonly mine: (item: number) => boolean;
  /** Start every item of ours that can still count, ahead of need, to keep the
   * workers busy (a sweep); else only what the resolution needs next (a merge). */
  readonly speculate: boolean;
  /** This process may resolve the scenario: it holds or can run every item. */
  readonly resolves: boolean;
}

/** What a finished task made of a split scenario: a part to keep (durably, before
 * anything else is done with it), and its record once it is resolved. */
export interface SplitProgress {
  readonly part?: PartRecord;
  readonly record?: ScenarioRecord;
}

/** A split scenario's coordinator. */
export class SplitRun {
  readonly parts = new Map<number, PartRecord>();
  /** Items in flight, with the cap slot their worker reads. */
  private readonly running = new Map<number, Float64Array>();
  /** Items stopped because they can no longer count: their results are dropped (if
   * they count after all, they run again). */
  private readonly dropped = new Set<number>();
  private reconciled: Reconciled<FindingRecord> | 'running' | null = null;
  record: ScenarioRecord | null = null;
  private readonly stopOnFirst: boolean;

  constructor(
    /** The scenario's run task (file, hash, settings, info). */
    readonly base: SweepTask,
    readonly plan: SplitPlan,
    private readonly o: SplitRunOptions,
    prior: Iterable<PartRecord> = [],
  ) {
    for (const p of prior) this.parts.set(p.item, p);
    this.stopOnFirst = base.settings.keepGoing !== true;
    if (o.resolves) this.resolve();
  }

  /** Whether this process judges the scenario (else a merge does, from every shard's parts). */
  get resolves(): boolean {
    return this.o.resolves;
  }

  get info(): ScenarioInfo {
    return this.base.info ?? fileInfo(this.base);
  }

  /** Nothing more will run here: the record is made, or (not resolving) no item of
   * ours is left that could count. */
  finished(): boolean {
    if (this.record !== null) return true;
    return !this.o.resolves && this.running.size === 0 && this.next(true) === null;
  }

  /** Items of ours that did not run (they cannot count, as far as this process knows). */
  skipped(): number[] {
    return this.plan.items.map((_, k) => k).filter((k) => this.o.mine(k) && !this.parts.has(k) && !this.running.has(k));
  }

  /** The next task to start for this scenario, or null. */
  next(peek = false): SweepTask | null {
    if (this.record !== null) return null;
    const r = resolveParts(this.plan, this.parts, this.stopOnFirst);
    if (this.o.resolves) {
      if (r.state === 'rerun' && !this.running.has(r.item)) return peek ? this.base : this.partTask(r.item, r.cap);
      if (r.state === 'done' && this.reconciled === null) {
        const ws = witnessesToReconcile(this.parts, r.taken, this.stopOnFirst);
        if (ws !== null) {
          if (peek) return this.base;
          this.reconciled = 'running';
          return { ...this.base, kind: 'reconcile', witnesses: ws };
        }
      }
      if (r.state === 'waiting' && this.o.mine(r.waiting) && !this.running.has(r.waiting)) {
        return peek ? this.base : this.partTask(r.waiting, capFor(this.plan, this.parts, r.waiting));
      }
    }
    if (!this.o.speculate) return null;
    for (let k = 0; k < this.plan.items.length; k++) {
      if (!this.o.mine(k) || this.parts.has(k) || this.running.has(k)) continue;
      if (!relevant(this.plan, this.parts, k, this.stopOnFirst)) continue;
      return peek ? this.base : this.partTask(k, capFor(this.plan, this.parts, k));
    }
    return null;
  }

  private partTask(item: number, cap: number): SweepTask {
    const control = new SharedArrayBuffer(8);
    const slot = new Float64Array(control);
    slot[0] = cap;
    this.running.set(item, slot);
    this.dropped.delete(item);
    return { ...this.base, kind: 'part', part: { plan: this.plan, item, cap }, control };
  }

  /** Takes a finished task's result. */
  done(task: SweepTask, r: TaskResult): SplitProgress {
    let part: PartRecord | undefined;
    if (task.kind === 'part') {
      const k = task.part!.item;
      this.running.delete(k);
      if (this.dropped.delete(k)) return {};
      part = r.kind === 'part' ? r.part : r.kind === 'record' ? failedPart(k, task.part!.cap, r.record) : undefined;
      if (part === undefined) throw new Error(`a sweep worker answered a part with '${r.kind}'`);
      this.parts.set(k, part);
      this.recap();
    } else if (task.kind === 'reconcile') {
      if (r.kind === 'reconciled') this.reconciled = r.reconciled;
      else if (r.kind === 'record') this.record = this.failed(-1, undefined, r.record.found, r.record.findings[0]?.message ?? r.record.claim);
      else throw new Error(`a sweep worker answered a reconciliation with '${r.kind}'`);
    }
    if (this.o.resolves && this.record === null) this.resolve();
    return { ...(part === undefined ? {} : { part }), ...(this.record === null ? {} : { record: this.record }) };
  }

  /** Lowers the caps of the parts in flight to what the parts in now leave them; a
   * part that can no longer count is stopped and its result will be dropped. */
  private recap(): void {
    for (const [k, slot] of this.running) {
      const cap = relevant(this.plan, this.parts, k, this.stopOnFirst) ? capFor(this.plan, this.parts, k) : 0;
      if (cap < slot[0]!) slot[0] = cap;
      if (cap <= 0) this.dropped.add(k);
    }
  }

  /** Makes the record once the parts decide it (and stops what still runs). */
  private resolve(): void {
    this.decide();
    if (this.record !== null) for (const [k, slot] of this.running) (slot[0] = 0), this.dropped.add(k);
  }

  private decide(): void {
    const r = resolveParts(this.plan, this.parts, this.stopOnFirst);
    if (r.state === 'error') {
      // The scenario cannot be judged; the other items still run (a sweep), so that
      // every finding they can make is made and kept.
      if (this.o.speculate && (this.running.size > 0 || this.next(true) !== null)) return;
      this.record = this.failed(r.item, this.parts.get(r.item)!);
      return;
    }
    if (r.state !== 'done') return;
    const ws = witnessesToReconcile(this.parts, r.taken, this.stopOnFirst);
    if (ws !== null && (this.reconciled === null || this.reconciled === 'running')) return;
    const reconciled = ws === null || this.reconciled === null || this.reconciled === 'running' ? undefined : this.reconciled;
    const keepGoing = this.base.settings.keepGoing === true;
    const m = mergeParts(this.plan, this.parts, r, { stopOnFirst: !keepGoing, firstOfEachKind: keepGoing }, reconciled);
    this.record = scenarioRecord(this.info, m);
  }

  /** A merge that cannot run what it needs: the item no shard recorded. */
  missing(why: (item: number) => string): ScenarioRecord {
    const r = resolveParts(this.plan, this.parts, this.stopOnFirst);
    const item = r.state === 'waiting' ? r.waiting : -1;
    this.record = this.failed(item, undefined, 'missing', why(item));
    return this.record;
  }

  /** A merge that cannot run the scenario's code (its file is gone or changed). */
  unjudged(message: string): ScenarioRecord {
    this.record = this.failed(-1, undefined, 'missing', message);
    return this.record;
  }

  /** The record of a scenario one of whose parts could not be judged before anything
   * ended its exploration: the error, then every finding the other parts made, so
   * that none is lost. */
  private failed(item: number, part: PartRecord | undefined, kind = part?.error ?? 'scenario-crash', message = part?.message ?? ''): ScenarioRecord {
    const parts = [...this.parts.values()].sort((a, b) => a.item - b.item);
    const schedules = parts.reduce((n, p) => n + p.schedules, 0);
    const steps = parts.reduce((n, p) => n + p.steps, 0);
    const where = item >= 0 ? `item ${item + 1} of ${this.plan.items.length}: ` : '';
    const rec = errorRecord(this.info, kind, `${where}${message}`, { schedules, steps });
    const found = parts.flatMap((p) => p.findings);
    return { ...rec, claim: `${rec.claim}${found.length > 0 ? `; ${found.length} finding${found.length === 1 ? '' : 's'} in other items` : ''}`, findings: [...rec.findings, ...found] };
  }
}

/** A line for a split scenario whose parts this shard ran, for the merge to judge. */
export function partsLine(run: SplitRun): string {
  const mine = run.plan.items.map((_, k) => k).filter((k) => run.parts.has(k));
  const found = mine.flatMap((k) => run.parts.get(k)!.findings);
  const errors = mine.filter((k) => run.parts.get(k)!.error !== undefined);
  const schedules = mine.reduce((n, k) => n + run.parts.get(k)!.schedules, 0);
  const what = [
    `${mine.length} of ${run.plan.items.length} items here (${schedules} schedules)`,
    ...(found.length > 0 ? [`${found.length} finding${found.length === 1 ? '' : 's'}`] : []),
    ...(errors.length > 0 ? [`${errors.length} not judged`] : []),
  ];
  return `part ${run.base.file}: ${what.join(', ')}; septcheck merge judges it`;
}

/** The findings of a shard's parts, each with its replay command, as they are printed. */
export function partFindingLines(run: SplitRun, part: PartRecord): string[] {
  return part.findings.map((f) => `finding in ${run.info.name} (item ${part.item + 1} of ${run.plan.items.length}): ${f.kind}: ${f.message}\n  ${replayCommand(f)}`);
}
