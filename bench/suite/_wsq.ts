// The work-stealing queue of CHESS's test suite, as SCTBench ships it
// (benchmarks/chess/WorkStealQueue.h and WorkStealQueue.cpp in mc-imperial/sctbench,
// (C) Microsoft; Thomson, Donaldson and Betts, "Concurrency testing using controlled
// schedulers: an empirical study", TOPC 2016). The owner pushes and pops at the tail
// without a lock; a stealer takes from the head under the queue's lock (a pthread
// mutex there, a mutex here), by Cilk's THE protocol. head, tail and the slots are
// the C++ program's atomics (readV/writeV are seq_cst), so each access is a
// scheduling point; ObjType's field is plain, as there. The bug SCTBench injects
// (BUG3 in Push): the capacity check leaves no spare slot, so a push can overwrite
// the entry a concurrent Steal is taking, and an item is taken twice while another
// is never taken: Check() finds field != 1. InterlockedWorkStealQueue.cpp is the same
// queue with USE_NON_BLOCKING_SYNC: its lock is an exchange loop that yields
// (sleep(0)) while the lock is taken.
import { atomic_read, atomic_set, atomic_t, atomic_xchg, DEFINE_MUTEX, Kernel, kernel_wait, kthread_run, mutex_lock, mutex_unlock, spin_until_cond, WARN_ON } from 'septcheck';
import type { Cell, Run } from 'septcheck';

const INITQSIZE = 2;
const MaxSize = 1024 * 1024;
const InitialSize = 1024;

/** ObjType: Operation() increments `field`; Check() wants exactly one. */
interface ObjType {
  readonly id: number;
  field: number;
}

/** THE::SpinLock: a pthread mutex, or with USE_NON_BLOCKING_SYNC an exchange loop. */
interface SpinLock {
  Acquire(): Promise<void>;
  Release(): Promise<void>;
}

function pthread_lock(k: Kernel): SpinLock {
  const cs = DEFINE_MUTEX(k, 'q->cs');
  return { Acquire: () => mutex_lock(cs), Release: () => mutex_unlock(cs) };
}

function exchange_lock(k: Kernel): SpinLock {
  const lock = new atomic_t(k, 'q->lock');
  return {
    async Acquire() {
      // sleep(0) until the lock looks free: retrying a taken lock changes nothing.
      while ((await atomic_xchg(lock, 1)) !== 0) await spin_until_cond(() => lock.counter === 0, 'sleep(0)', lock.fp_read);
    },
    Release: () => atomic_set(lock, 0),
  };
}

class WorkStealQueue {
  readonly head: atomic_t;
  readonly tail: atomic_t;
  /** The slot array and its mask: plain fields in the C++ program, swapped by
   * SyncPush under the lock and read by Steal, so a tracked cell here (its accesses
   * are recorded, for dpor; no scheduling point of its own). */
  private readonly arr: Cell<{ readonly elems: atomic_t[]; readonly mask: number }>;
  private readonly lock: SpinLock;
  private generation = 0;

  constructor(
    private readonly k: Kernel,
    size: number,
    private readonly items: readonly ObjType[],
    /** BUG3: the off-by-one capacity check. */
    private readonly bug3: boolean,
    interlocked: boolean,
  ) {
    this.lock = interlocked ? exchange_lock(k) : pthread_lock(k);
    this.head = new atomic_t(k, 'q->head');
    this.tail = new atomic_t(k, 'q->tail');
    this.arr = k.run.cell('q->elems', { elems: this.slots(size), mask: size - 1 });
  }

  get elems(): atomic_t[] {
    return this.arr.get().elems;
  }

  get mask(): number {
    return this.arr.get().mask;
  }

  /** A fresh array of task slots (each an atomic word, as the C++ accesses race). */
  private slots(n: number): atomic_t[] {
    const g = this.generation++;
    return Array.from({ length: n }, (_, i) => new atomic_t(this.k, `q->elems${g}[${i}]`, -1));
  }

  private async get(i: number): Promise<ObjType> {
    return this.items[await atomic_read(this.elems[i & this.mask]!)]!;
  }

  // Steal(): the head end, under the lock.
  async Steal(): Promise<ObjType | null> {
    await this.lock.Acquire();
    const h = await atomic_read(this.head);
    await atomic_set(this.head, h + 1);
    let found: ObjType | null = null;
    if (h < (await atomic_read(this.tail))) found = await this.get(h);
    else await atomic_set(this.head, h); // restore the head
    await this.lock.Release();
    return found;
  }

  // Pop(): the tail end, without the lock unless it may meet a Steal.
  async Pop(): Promise<ObjType | null> {
    const t = (await atomic_read(this.tail)) - 1;
    await atomic_set(this.tail, t);
    if ((await atomic_read(this.head)) <= t) return this.get(t);
    await atomic_set(this.tail, t + 1); // restore the tail
    return this.SyncPop();
  }

  private async SyncPop(): Promise<ObjType | null> {
    await this.lock.Acquire();
    const t = (await atomic_read(this.tail)) - 1;
    await atomic_set(this.tail, t);
    let found: ObjType | null = null;
    if ((await atomic_read(this.head)) <= t) found = await this.get(t);
    else await atomic_set(this.tail, t + 1);
    if ((await atomic_read(this.head)) > t) {
      // The queue is empty: reset head and tail.
      await atomic_set(this.head, 0);
      await atomic_set(this.tail, 0);
      found = null;
    }
    await this.lock.Release();
    return found;
  }

  // Push(): one slot is always kept spare for a Steal in flight, unless BUG3.
  async Push(elem: ObjType): Promise<void> {
    const t = await atomic_read(this.tail);
    const room = this.bug3 ? t < (await atomic_read(this.head)) + this.mask + 1 : t < (await atomic_read(this.head)) + this.mask;
    if (room && t < MaxSize) {
      await atomic_set(this.elems[t & this.mask]!, elem.id);
      await atomic_set(this.tail, t + 1);
    } else await this.SyncPush(elem);
  }

  private async SyncPush(elem: ObjType): Promise<void> {
    await this.lock.Acquire();
    let h = await atomic_read(this.head);
    const count = (await atomic_read(this.tail)) - h;
    h = h & this.mask;
    await atomic_set(this.head, h);
    await atomic_set(this.tail, h + count);
    if (count >= this.mask) {
      const newsize = this.mask === 0 ? InitialSize : 2 * (this.mask + 1);
      const newtasks = this.slots(newsize);
      for (let i = 0; i < count; i++) await atomic_set(newtasks[i]!, await atomic_read(this.elems[(h + i) & this.mask]!));
      this.arr.set({ elems: newtasks, mask: newsize - 1 });
      await atomic_set(this.head, 0);
      await atomic_set(this.tail, count);
    }
    const t = await atomic_read(this.tail);
    await atomic_set(this.elems[t & this.mask]!, elem.id);
    await atomic_set(this.tail, t + 1);
    await this.lock.Release();
  }
}

/** WorkStealQueue.cpp's main() (InterlockedWorkStealQueue.cpp's with `interlocked`):
 * one stealer, 4 items, 2 steal attempts. */
export function wsq_setup(run: Run, bug3: boolean, interlocked = false, nStealers = 1, nItems = 4, nStealAttempts = 2): void {
  const k = new Kernel(run);
  // Operation()'s increments and Check()'s reads are plain accesses: tracked, so
  // that the scenarios can declare every shared access recorded (dpor reduces).
  const items: ObjType[] = run.state('items', Array.from({ length: nItems }, (_, id) => ({ id, field: 0 })));
  const q = new WorkStealQueue(k, INITQSIZE, items, bug3, interlocked);
  const Operation = (r: ObjType | null) => {
    if (r !== null) r.field++;
  };
  k.kthread('main', async () => {
    const stealers = [];
    for (let i = 0; i < nStealers; i++) {
      stealers.push(
        await kthread_run(
          async () => {
            for (let j = 0; j < nStealAttempts; j++) Operation(await q.Steal());
          },
          null,
          `stealer${i}`,
        ),
      );
    }
    for (let i = 0; i < nItems / 2; i++) {
      await q.Push(items[2 * i]!);
      await q.Push(items[2 * i + 1]!);
      Operation(await q.Pop());
    }
    for (let i = 0; i < nItems / 2; i++) Operation(await q.Pop());
    for (const s of stealers) await kernel_wait(s);
    // Check(): every item was operated on exactly once.
    for (const it of items) if (WARN_ON(it.field !== 1, `items[${it.id}].field == ${it.field}, not 1`)) return;
  });
}
