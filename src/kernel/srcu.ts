// Sleepable RCU (include/linux/srcu.h, kernel/rcu/srcutree.c): readers of one
// srcu_struct may sleep; synchronize_srcu() waits for every reader that was inside a
// read-side section of that srcu_struct when it began. Lockdep sees a reader as a
// recursive read of the srcu_struct's dep_map and synchronize_srcu() as a
// synchronization point on it (lock_sync(), Boqun Feng's "rcu: Annotate SRCU's
// update-side lockdep dependencies"), so taking a lock inside a reader that an
// updater holds across synchronize_srcu() is a circular dependency.
import type { FindingInput, Footprint } from '../engine/index.ts';
import { __might_sleep } from './checks.ts';
import type { Kernel } from './kernel.ts';
import { LD_WAIT_SLEEP } from './lock.ts';
import type { lockdep_map } from './lockdep/lockdep.ts';
import { non_static_key, rcu_suspicious } from './lockdep/reports.ts';
import { key_footprints_of, key_namer } from './shared.ts';
import { current, type task_struct } from './task.ts';

const FILE = 'kernel/rcu/srcutree.c';
const srcu_key = key_namer('srcu:');

// struct srcu_struct in include/linux/srcutree.h: its readers (per task: nesting and
// the outermost sections entered) and its lockdep map.
export class srcu_struct implements lockdep_map {
  readonly wait_type_outer = 0;
  readonly wait_type_inner = LD_WAIT_SLEEP;
  /** init_srcu_struct() ran (DEFINE_SRCU() is static). */
  initialized = false;
  /** ssp->srcu_idx: flipped by each grace period; srcu_read_lock() returns it. */
  srcu_idx = 0;
  private readonly readers = new Map<task_struct, { nesting: number; sections: number }>();
  readonly fp_read: readonly Footprint[];
  readonly fp_write: readonly Footprint[];

  constructor(
    readonly k: Kernel,
    /** The lockdep class, as the kernel names it: `&kvm->srcu`. */
    readonly name: string,
  ) {
    const fp = key_footprints_of(k.unique(srcu_key(name)));
    this.fp_read = fp.read;
    this.fp_write = fp.write;
  }

  /** `t`'s read-side nesting on this srcu_struct. */
  nesting(t: task_struct): number {
    return this.readers.get(t)?.nesting ?? 0;
  }

  enter(t: task_struct): void {
    const r = this.readers.get(t) ?? { nesting: 0, sections: 0 };
    if (r.nesting++ === 0) r.sections++;
    this.readers.set(t, r);
  }

  leave(t: task_struct): void {
    const r = this.readers.get(t);
    if (r !== undefined) r.nesting--;
  }

  /** The readers a grace period starting now waits for: each, and its section. */
  snapshot(): ReadonlyArray<readonly [task_struct, number]> {
    return [...this.readers].filter(([, r]) => r.nesting > 0).map(([t, r]) => [t, r.sections] as const);
  }

  /** Of the readers in `gp`, those still in the section they were in, or null. */
  waits_on(gp: ReadonlyArray<readonly [task_struct, number]>): string[] | null {
    let by: string[] | null = null;
    for (const [t, section] of gp) {
      const r = this.readers.get(t)!;
      if (r.nesting > 0 && r.sections === section) (by ??= []).push(t.comm);
    }
    return by;
  }
}

// init_srcu_struct() in kernel/rcu/srcutree.c
export function init_srcu_struct(ssp: srcu_struct): number {
  ssp.initialized = true;
  return 0;
}

// DEFINE_SRCU() in include/linux/srcutree.h
export function DEFINE_SRCU(k: Kernel, name: string): srcu_struct {
  const ssp = new srcu_struct(k, name);
  init_srcu_struct(ssp);
  return ssp;
}

function uninitialized(t: task_struct, ssp: srcu_struct, ip: string): FindingInput {
  return {
    kind: 'uninitialized-lock',
    message: `${ssp.name} used without init_srcu_struct(): ${ip} in ${t.comm}`,
    report: non_static_key([`${ip}: srcu_struct ${ssp.name} was never initialized`]),
    details: { lock: ssp.name, init: 'init_srcu_struct', thread: t.comm },
  };
}

/** RCU_LOCKDEP_WARN() in include/linux/rcupdate.h: the suspicious-rcu splat. */
function srcu_lockdep_warn(t: task_struct, where: string, what: string): FindingInput {
  return {
    kind: 'suspicious-rcu',
    message: `suspicious RCU usage: ${what} in ${t.comm} (${where})`,
    report: rcu_suspicious(t, where, what),
    details: { thread: t.comm, what, where },
  };
}

// srcu_read_lock() in include/linux/srcu.h: returns the index srcu_read_unlock() takes.
// Entering and leaving a read-side section are per-CPU counter updates with no
// scheduling point of their own: they take effect in the step they are called in,
// recorded as reads of the srcu_struct, which loses no order that matters against
// synchronize_srcu() (whose grace period starts at its own point).
export async function srcu_read_lock(ssp: srcu_struct): Promise<number> {
  const t = current();
  const ip = `srcu_read_lock(${ssp.name})`;
  const op = { kind: 'srcu_read_lock', obj: ssp.name, footprint: ssp.fp_read };
  if (!ssp.initialized) return t.k.splat_at(op, uninitialized(t, ssp, ip));
  t.k.run.touch(ssp.fp_read[0]!);
  ssp.enter(t);
  // srcu_lock_acquire(): a recursive read of ssp->dep_map.
  const f = t.k.lockdep.acquire(t, ssp, 2, false, true, { hardirqs_off: t.irqs_off, softirqs_enabled: t.softirqs_enabled }, ip);
  if (f !== null) t.k.report(f);
  else t.k.lockdep.taken(t.held_locks[t.held_locks.length - 1]!);
  return ssp.srcu_idx;
}

// srcu_read_unlock() in include/linux/srcu.h
export async function srcu_read_unlock(ssp: srcu_struct, idx: number): Promise<void> {
  const t = current();
  const ip = `srcu_read_unlock(${ssp.name}, ${idx})`;
  t.k.run.touch(ssp.fp_read[0]!);
  const f = t.k.lockdep.release(t, ssp, ip);
  if (f !== null) return t.k.report(f);
  ssp.leave(t);
}

// srcu_read_lock_held() in include/linux/srcu.h: lockdep's view of the reader.
export function srcu_read_lock_held(ssp: srcu_struct): boolean {
  const t = current();
  return t.k.lockdep.is_held(t, ssp);
}

// srcu_dereference_check() in include/linux/srcu.h: legal inside a read-side section
// of `ssp` or where `c` (e.g. lockdep_is_held(&kvm->slots_lock)) holds.
export function srcu_dereference_check<T>(p: T, ssp: srcu_struct, c: boolean, where = 'srcu_dereference_check()'): T {
  const t = current();
  if (!c && !srcu_read_lock_held(ssp)) t.k.report(srcu_lockdep_warn(t, where, 'suspicious rcu_dereference_check() usage'));
  return p;
}

// srcu_dereference() in include/linux/srcu.h
export function srcu_dereference<T>(p: T, ssp: srcu_struct, where = 'srcu_dereference()'): T {
  return srcu_dereference_check(p, ssp, false, where);
}

// synchronize_srcu() in kernel/rcu/srcutree.c: the grace period starts at the first
// point (lock_sync() on the dep_map records what the caller holds); the second
// (wait_srcu_gp) waits for the readers it found, if any.
export async function synchronize_srcu(ssp: srcu_struct): Promise<void> {
  const t = current();
  const ip = `synchronize_srcu(${ssp.name})`;
  const op = { kind: 'synchronize_srcu', obj: ssp.name, footprint: ssp.fp_write };
  const f =
    (ssp.initialized ? null : uninitialized(t, ssp, ip)) ??
    (t.k.lockdep.is_held(t, ssp) || t.rcu_read_lock_nesting > 0
      ? srcu_lockdep_warn(t, FILE, 'Illegal synchronize_srcu() in same-type SRCU (or in RCU) read-side critical section')
      : __might_sleep(t, FILE, ip));
  if (f !== null) return t.k.splat_at(op, f);
  // srcu_lock_sync(): an exclusive acquire and release of the dep_map.
  const dep = t.k.lockdep.acquire(t, ssp, 0, false, true, { hardirqs_off: t.irqs_off, softirqs_enabled: t.softirqs_enabled }, ip);
  if (dep !== null) return t.k.splat_at(op, dep);
  t.k.lockdep.release(t, ssp, ip);
  await t.k.run.point(op);
  ssp.srcu_idx ^= 1;
  const gp = ssp.snapshot();
  if (gp.length === 0) return;
  await t.k.run.point({ kind: 'wait_srcu_gp', obj: ssp.name, footprint: ssp.fp_read, waitsOn: () => ssp.waits_on(gp) });
}
