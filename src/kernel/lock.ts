// What every lock kind shares: owner and readers, the lockdep map, and one acquire,
// release and trylock path, each a scheduling point. The kinds differ only in the
// options they pass (shared or not, sleeping or spinning, _bh / _irq masking).
import type { FindingInput, Footprint, Op } from '../engine/index.ts';
import { __might_sleep } from './checks.ts';
import type { Kernel } from './kernel.ts';
import { gate_of, type lock_gate } from './lock_gate.ts';
import { empty_map, is_empty_map, key_footprints_of, key_namer, shared_cache } from './shared.ts';
import type { acquire_ctx, lockdep_map } from './lockdep/lockdep.ts';
import { non_static_key, unlock_imbalance_bug } from './lockdep/reports.ts';
import { __local_bh_enable_ip, __local_irq_restore, __preempt_count_sub, X86_EFLAGS_IF, type irqflags_t } from './preempt.ts';
import { current, PREEMPT_OFFSET, SOFTIRQ_DISABLE_OFFSET, type task_struct } from './task.ts';

// enum lockdep_wait_type, without CONFIG_PROVE_RAW_LOCK_NESTING.
export const LD_WAIT_FREE = 1;
export const LD_WAIT_CONFIG = 2;
export const LD_WAIT_SLEEP = 3;

/** How an operation takes or drops a lock. */
export interface lock_op {
  /** Kernel name, e.g. `spin_lock_bh`; it is the trace's operation. */
  readonly op: string;
  /** lockdep's read: 0 exclusive, 1 shared, 2 shared and recursive. */
  readonly read: 0 | 1 | 2;
  /** A sleeping lock: might_sleep() first, no preemption disabling. The value is
   * the file of the kernel's might_sleep() for the splat. */
  readonly sleeps?: string;
  /** _bh variants: bottom halves off while held. */
  readonly bh?: boolean;
  /** _irq / _irqsave variants: interrupts off while held. */
  readonly irq?: boolean;
}

/** An operation on one lock, as the trace and the scheduler see it. */
interface lock_point {
  /** `spin_lock(A)`: what reports name. */
  readonly ip: string;
  readonly shared: boolean;
  /** The point, and the same with waitsOn naming the holders. */
  readonly plain: Op;
  readonly acquire: Op;
}

const lock_key = key_namer('lock:');

/** The footprints of a lock's key, made once per key (shared.ts): the key's own,
 * and those of its waiter count (see lock_base.waiters_change). */
const lock_footprints_of = shared_cache((key: string) => ({
  ...key_footprints_of(key),
  waiters_change: { key: `${key}:waiters`, access: 'read' } as Footprint,
  waiters_look: { key: `${key}:waiters`, access: 'write' } as Footprint,
}));

/** Each lock makes its points' map and its waitsOn closures up front, the plain
 * method; else they are made at its first point (many locks a set-up makes are never
 * taken in a schedule). test/kernel/lock_points.test.ts compares the two ways. */
export const lock_points = { eager: false };

/** A lock's waitsOn closures before its first point (never called: no point yet). */
const NO_WAITS = (): string[] | null => null;

export abstract class lock_base implements lockdep_map {
  owner: task_struct | null = null;
  /** One entry per read hold; a reader may hold it more than once. */
  readonly readers: task_struct[] = [];
  /** Tasks at an acquire of this lock (spin_is_contended(), rwlock_is_contended()).
   * Read it through `contended()`, which records the read. */
  waiters = 0;
  /** The magic DEBUG_SPINLOCK / DEBUG_MUTEXES check, and lockdep's static key. */
  initialized = false;
  /** The real lock a stress run blocks on (lock_gate.ts's gate_of()). */
  gate: lock_gate | null = null;
  readonly wait_type_outer = 0;
  abstract readonly wait_type_inner: number;
  /** The call that initialises it, for the report. */
  protected abstract readonly init_fn: string;
  private readonly fp_read: readonly Footprint[];
  private readonly fp_write: readonly Footprint[];
  /** The waiter count changes in the step before an acquire's point, which does not
   * name the lock: it is recorded under a key of its own. Adding and removing a
   * waiter commute with each other (the count ends the same), so they record a *read*
   * of the key; looking at the count (contended()) records a *write*, which orders
   * it with every change. Nothing else reads `waiters`. */
  private readonly waiters_change: Footprint;
  private readonly waiters_look: Footprint;
  /** The scheduling points of each operation, made once (per CPU for _bh/_irq). */
  private points: Map<lock_op, lock_point | lock_point[]> = lock_points.eager ? new Map() : empty_map();
  // Made by waits_of(), not as class fields' arrow functions (tsx's keepNames: see
  // src/engine/run.ts) nor in the constructor, which was measured to keep runs alive
  // past minor GCs (GC time 5% -> 29% on v5-44-fixed).
  private wait_shared = lock_points.eager ? waits_of(this, true) : NO_WAITS;
  private wait_excl = lock_points.eager ? waits_of(this, false) : NO_WAITS;

  constructor(
    readonly k: Kernel,
    readonly name: string,
  ) {
    // The key's footprints are the same in every schedule: shared (shared.ts).
    const fp = lock_footprints_of(k.unique(lock_key(name)));
    this.fp_read = fp.read;
    this.fp_write = fp.write;
    this.waiters_change = fp.waiters_change;
    this.waiters_look = fp.waiters_look;
  }

  /** Whether a task waits to take it (records the read). */
  contended(): boolean {
    this.k.run.touch(this.waiters_look);
    return this.waiters > 0;
  }

  /** A task starts (+1) or stops (-1) waiting at an acquire. */
  add_waiter(n: 1 | -1): void {
    this.k.run.touch(this.waiters_change);
    this.waiters += n;
  }

  /** The point of `o` on this lock from `cpu`. */
  point(o: lock_op, cpu: number): lock_point {
    const per_cpu = o.bh === true || o.irq === true;
    let p = this.points.get(o);
    if (p === undefined) {
      if (is_empty_map(this.points)) {
        this.points = new Map();
        this.wait_shared = waits_of(this, true);
        this.wait_excl = waits_of(this, false);
      }
      this.points.set(o, (p = per_cpu ? [] : this.make_point(o, cpu)));
    }
    return Array.isArray(p) ? (p[cpu] ??= this.make_point(o, cpu)) : p;
  }

  private make_point(o: lock_op, cpu: number): lock_point {
    const shared = o.read !== 0;
    const fp = shared ? this.fp_read : this.fp_write;
    // The _bh and _irq variants also change what may interrupt their CPU.
    const footprint = o.bh || o.irq ? [...fp, ...this.k.cpu_footprint(cpu)] : fp;
    const waitsOn = shared ? this.wait_shared : this.wait_excl;
    return { ip: `${o.op}(${this.name})`, shared, plain: { kind: o.op, obj: this.name, footprint }, acquire: { kind: o.op, obj: this.name, footprint, waitsOn } };
  }

  /** The lines the lock's own debug code prints when its magic is wrong. */
  protected abstract bad_magic(t: task_struct): string[];

  /** Held at all, by anyone (spin_is_locked(), mutex_is_locked(), ...). */
  get is_locked(): boolean {
    return this.owner !== null || this.readers.length > 0;
  }

  /** The threads an acquirer waits for, or null when it may take the lock now.
   * Readers do not wait for waiting writers (no writer fairness is modelled). */
  blockers(shared: boolean): string[] | null {
    if (this.owner !== null) return [this.owner.comm];
    if (shared || this.readers.length === 0) return null;
    return [...new Set(this.readers.map((r) => r.comm))];
  }

  /** Null when initialised, else the uninitialized-lock splat. */
  check_magic(t: task_struct, ip: string): FindingInput | null {
    if (this.initialized) return null;
    return {
      kind: 'uninitialized-lock',
      message: `${this.name} used without ${this.init_fn}(): ${ip} in ${t.comm}`,
      report: non_static_key(this.bad_magic(t)),
      details: { lock: this.name, init: this.init_fn, thread: t.comm },
    };
  }

  take(t: task_struct, shared: boolean): void {
    if (shared) this.readers.push(t);
    else this.owner = t;
  }

  /** Drops `t`'s hold, or returns the splat when it does not hold it that way. */
  drop(t: task_struct, shared: boolean, ip: string): FindingInput | null {
    const i = shared ? this.readers.lastIndexOf(t) : -1;
    if (shared ? i < 0 : this.owner !== t) {
      return {
        kind: 'bad-unlock',
        message: `${ip} by ${t.comm}, which does not hold ${this.name} ${shared ? 'for read' : 'exclusively'}`,
        report: unlock_imbalance_bug(t, this.name, ip),
        details: { lock: this.name, thread: t.comm },
      };
    }
    if (shared) this.readers.splice(i, 1);
    else this.owner = null;
    return null;
  }
}

/** The waitsOn of `l`'s acquires, shared or exclusive. */
function waits_of(l: lock_base, shared: boolean): () => string[] | null {
  return () => l.blockers(shared);
}

function ctx_after(t: task_struct, o: lock_op): acquire_ctx {
  return { hardirqs_off: t.irqs_off || o.irq === true, softirqs_enabled: t.softirqs_enabled && o.bh !== true };
}

/** What holding the lock adds to preempt_count: PREEMPT_LOCK_OFFSET for a spinning
 * lock, plus SOFTIRQ_DISABLE_OFFSET for _bh (together SOFTIRQ_LOCK_OFFSET). */
function lock_offset(o: lock_op): number {
  return (o.sleeps === undefined ? PREEMPT_OFFSET : 0) + (o.bh ? SOFTIRQ_DISABLE_OFFSET : 0);
}

/** The masking a lock op does once it holds the lock: interrupts, then bottom
 * halves and preemption, as spin_lock_bh() and spin_lock_irqsave() do. */
function mask(t: task_struct, o: lock_op, ip: string): void {
  if (o.irq) t.set_irqs_off(true);
  const n = lock_offset(o);
  if (n !== 0) t.preempt_count_add(n, ip);
}

/** The reverse of mask(): interrupts as `flags` say, then bottom halves and preemption. */
function unmask(t: task_struct, o: lock_op, flags: irqflags_t | undefined): void {
  if (o.irq) __local_irq_restore(t, flags ?? X86_EFLAGS_IF);
  const n = lock_offset(o);
  if (o.bh) __local_bh_enable_ip(t, n);
  else if (n !== 0) __preempt_count_sub(t, n);
}

/** Takes `l`. The checks run before the wait, as the kernel's do: might_sleep() for
 * sleeping locks, the magic, then lockdep. The wait is the scheduling point, whose
 * waitsOn names the holders; masking applies once the lock is held. */
export async function __lock_acquire(l: lock_base, o: lock_op): Promise<void> {
  const t = current();
  const { ip, shared, acquire } = l.point(o, t.cpu);
  const f =
    (o.sleeps === undefined ? null : __might_sleep(t, o.sleeps, ip)) ??
    l.check_magic(t, ip) ??
    t.k.lockdep.acquire(t, l, o.read, false, true, ctx_after(t, o), ip);
  if (f !== null) return t.k.splat_at(acquire, f);
  const held = t.held_locks[t.held_locks.length - 1]!;
  l.add_waiter(1);
  // A stress run blocks on the real lock instead of a point that waits.
  if (t.k.stress === null) await t.k.run.point(acquire);
  else await t.k.stress.block(acquire, () => gate_of(l).lock(shared));
  l.add_waiter(-1);
  t.k.lockdep.taken(held);
  // "Preemption disabled at:" names the code that took the lock, when traced.
  mask(t, o, held.caller ?? ip);
  l.take(t, shared);
}

/** Tries once to take `l`; lockdep records a successful trylock but no dependency. */
export async function __lock_trylock(l: lock_base, o: lock_op): Promise<boolean> {
  const t = current();
  const { ip, shared, plain } = l.point(o, t.cpu);
  await t.k.run.point(plain);
  const bad = l.check_magic(t, ip);
  if (bad !== null) {
    t.k.report(bad);
    return false;
  }
  if (l.blockers(shared) !== null || (t.k.stress !== null && !gate_of(l).trylock(shared))) {
    t.k.run.result('0');
    return false;
  }
  const f = t.k.lockdep.acquire(t, l, o.read, true, true, ctx_after(t, o), ip);
  if (f !== null) t.k.report(f);
  else t.k.lockdep.taken(t.held_locks[t.held_locks.length - 1]!);
  mask(t, o, ip);
  l.take(t, shared);
  t.k.run.result('1');
  return true;
}

/** Drops `l`: the point first (the release is what other tasks observe), then
 * lockdep's balance check, ownership, and unmasking. */
export async function __lock_release(l: lock_base, o: lock_op, flags?: irqflags_t): Promise<void> {
  const t = current();
  const { ip, shared, plain } = l.point(o, t.cpu);
  await t.k.run.point(plain);
  const f = l.check_magic(t, ip) ?? t.k.lockdep.release(t, l, ip) ?? l.drop(t, shared, ip);
  if (f !== null) return t.k.report(f);
  if (t.k.stress !== null) gate_of(l).unlock(shared);
  unmask(t, o, flags);
}
