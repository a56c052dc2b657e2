// The real locks a stress run blocks on: every kernel lock gets an async-mutex lock
// beside its bookkeeping (owner, readers, lockdep), which stays as it is.
import { Mutex } from 'async-mutex';
import type { lock_base } from './lock.ts';

/**
 * A readers-writer lock on async-mutex. A writer takes `excl`; the first reader
 * takes it for all readers, and `entry` holds the others back while it waits. Readers
 * do not wait for a waiting writer (the model's rule), so recursive read holds cannot
 * deadlock against one. Spinning and sleeping locks alike: on the event loop a
 * waiter is parked either way.
 */
export class lock_gate {
  private readonly excl = new Mutex();
  private readonly entry = new Mutex();
  private readers = 0;

  /** Takes it if it is free now (a lock handed to a woken waiter is not). */
  trylock(shared: boolean): boolean {
    if (shared && this.readers > 0) {
      this.readers++;
      return true;
    }
    if (this.excl.isLocked()) return false;
    // Free with nobody queued: async-mutex takes it synchronously.
    void this.excl.acquire();
    if (shared) this.readers = 1;
    return true;
  }

  /** Null when taken at once, else a promise that settles once it is held. */
  lock(shared: boolean): Promise<void> | null {
    if (this.trylock(shared)) return null;
    if (!shared) return this.excl.acquire().then(() => {});
    return this.entry.runExclusive(async () => {
      if (this.readers === 0) await this.excl.acquire();
      this.readers++;
    });
  }

  unlock(shared: boolean): void {
    if (!shared || --this.readers === 0) this.excl.release();
  }
}

/** The gate of `l`, made on first use (kept on the lock, not in a WeakMap keyed by
 * it: see src/engine/run.ts, Run.local()). */
export function gate_of(l: lock_base): lock_gate {
  return (l.gate ??= new lock_gate());
}
