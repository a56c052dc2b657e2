// What an invariant's probes saw change, waiting for its next check. A probe runs
// inside the step that changed something and queues it; the check, run right after
// that step, drains the queue. The queue is empty at every step boundary, so it
// links a step to the check after it and to nothing else: it is recorded per thread
// (`inv:<name>:<thread>`), a push as a write (the step is then visible to the
// invariant) and the drain as a read (it only undoes the pushes of the step just
// taken), so steps of different threads never depend on each other through it.
//
// A check the engine may skip (a tracked program's, see Run.checkInvariants()) is
// skipped only while nothing it read last changed; the queue's per-thread keys do
// not say that a push on another thread concerns it, so a push asks the engine to
// re-check whichever invariant drained the queue (Run.recheck()).
import type { CheckHandle, Footprint, Run } from '../../engine/index.ts';

export class change_queue<T> {
  private items: T[] = [];
  private spare: T[] = [];
  /** The footprints of each thread's queue, made on first use. */
  private readonly fps = new Map<string, { readonly read: Footprint; readonly write: Footprint }>();
  /** The invariant that drains the queue, once it has. */
  private drainer: CheckHandle | null = null;

  constructor(
    private readonly run: Run,
    private readonly name: string,
    /** The check that drains the queue finds nothing, reading nothing else, while
     * the queue is empty: the engine checks it only after a push (Run.drivenCheck()). */
    private readonly opts: { readonly drives?: boolean } = {},
  ) {}

  private fp(): { readonly read: Footprint; readonly write: Footprint } {
    const thread = this.run.current?.name ?? '';
    let fp = this.fps.get(thread);
    if (fp === undefined) {
      const key = `inv:${this.name}:${thread}`;
      this.fps.set(thread, (fp = { read: { key, access: 'read' }, write: { key, access: 'write' } }));
    }
    return fp;
  }

  push(item: T): void {
    // The write of the queue's key is for dpor's footprints (a recorded run) and for
    // a check that pushes (watched, it is then checked after every step). Between
    // checks it would only make dirty the check that read the key, the drainer,
    // which recheck() does: it is not made then (no lookup of the thread's key).
    if (this.run.recordingReads) this.run.touch(this.fp().write);
    if (this.drainer !== null) this.run.recheck(this.drainer);
    this.items.push(item);
  }

  /** Called by the check that drains the queue when it keeps work for later (changes
   * it judges only at some later step): check it after the next step too, whatever
   * that step writes. */
  again(): void {
    if (this.drainer !== null) this.run.recheck(this.drainer);
  }

  /** Everything queued since the last check, removed. */
  drain(): readonly T[] {
    if (this.drainer === null) {
      this.drainer = this.run.currentCheck;
      if (this.drainer !== null && this.opts.drives === true) this.run.drivenCheck(this.drainer);
    }
    if (this.run.recording) this.run.touch(this.fp().read);
    if (this.items.length === 0) return NONE;
    // Two arrays take turns: the one returned is reused at the drain after next,
    // once its caller (the check) is done with it.
    const out = this.items;
    this.items = this.spare;
    this.items.length = 0;
    this.spare = out;
    return out;
  }
}

const NONE: readonly never[] = [];
