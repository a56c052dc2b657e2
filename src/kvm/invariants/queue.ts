// What an invariant's probes saw change, waiting for its next check. A probe runs
// inside the step that changed something and queues it; the check, run right after
// that step, drains the queue. The queue is empty at every step boundary, so it
// links a step to the check after it and to nothing else: it is recorded per thread
// (`inv:<name>:<thread>`), a push as a write (the step is then visible to the
// invariant) and the drain as a read (it only undoes the pushes of the step just
// taken), so steps of different threads never depend on each other through it.
import type { Footprint, Run } from '../../engine/index.ts';

export class change_queue<T> {
  private items: T[] = [];
  /** The footprints of each thread's queue, made on first use. */
  private readonly fps = new Map<string, { readonly read: Footprint; readonly write: Footprint }>();

  constructor(
    private readonly run: Run,
    private readonly name: string,
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
    if (this.run.recording) this.run.touch(this.fp().write);
    this.items.push(item);
  }

  /** Everything queued since the last check, removed. */
  drain(): readonly T[] {
    if (this.run.recording) this.run.touch(this.fp().read);
    if (this.items.length === 0) return NONE;
    const out = this.items;
    this.items = [];
    return out;
  }
}

const NONE: readonly never[] = [];
