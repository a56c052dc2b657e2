// RCU (include/linux/rcupdate.h, kernel/rcu/tree.c), CONFIG_PREEMPT_RCU: readers
// nest, may be preempted, and must not sleep; a grace period ends once every reader
// that was inside a read-side section when it began has left that section.
import type { FindingInput, Footprint } from '../engine/index.ts';
import { __might_sleep } from './checks.ts';
import { kmem_obj, track_here } from './kasan.ts';
import type { Kernel } from './kernel.ts';
import { LD_WAIT_CONFIG, LD_WAIT_FREE } from './lock.ts';
import type { lockdep_map } from './lockdep/lockdep.ts';
import { rcu_suspicious } from './lockdep/reports.ts';
import { current, SOFTIRQ_LEVEL, type task_struct } from './task.ts';

/** rcu_lock_map: what lockdep shows for rcu_read_lock() (never validated, check = 0). */
const rcu_lock_map: lockdep_map = { name: 'rcu_read_lock', wait_type_outer: LD_WAIT_FREE, wait_type_inner: LD_WAIT_CONFIG };

const READ: Footprint[] = [{ key: 'rcu', access: 'read' }];
const WRITE: Footprint[] = [{ key: 'rcu', access: 'write' }];
const FILE = 'kernel/rcu/tree.c';

/** struct rcu_head: any object; a string `name` on it labels the callback in traces. */
export type rcu_head = object;

/** The readers a grace period waits for: each task in a section, and which section. */
type gp_snapshot = ReadonlyArray<readonly [task_struct, number]>;

function gp_start(k: Kernel): gp_snapshot {
  return k.tasks.filter((t) => t.rcu_read_lock_nesting > 0).map((t) => [t, t.rcu_sections] as const);
}

/** The readers still holding up a grace period that began at `gp`, or null once it has ended. */
function gp_waits_on(gp: gp_snapshot): string[] | null {
  let by: string[] | null = null;
  for (const [t, section] of gp) if (t.rcu_read_lock_nesting > 0 && t.rcu_sections === section) (by ??= []).push(t.comm);
  return by;
}

/** Callbacks queued by call_rcu(), per run (for rcu_barrier()), under this key
 * (Run.local(): a WeakMap keyed by the kernel would keep them alive past minor GCs). */
const QUEUED = {};

// rcu_read_lock() in include/linux/rcupdate.h
export async function rcu_read_lock(): Promise<void> {
  const t = current();
  await t.k.run.point({ kind: 'rcu_read_lock', footprint: READ });
  if (t.rcu_read_lock_nesting++ === 0) t.rcu_sections++;
  t.k.lockdep.acquire(t, rcu_lock_map, 2, false, false, { hardirqs_off: t.irqs_off, softirqs_enabled: t.softirqs_enabled }, 'rcu_read_lock()');
  t.k.lockdep.taken(t.held_locks[t.held_locks.length - 1]!);
}

// rcu_read_unlock() in include/linux/rcupdate.h
export async function rcu_read_unlock(): Promise<void> {
  const t = current();
  await t.k.run.point({ kind: 'rcu_read_unlock', footprint: READ });
  const f = t.k.lockdep.release(t, rcu_lock_map, 'rcu_read_unlock()');
  if (f !== null) return t.k.report(f);
  t.rcu_read_lock_nesting--;
}

// rcu_read_lock_held() in kernel/rcu/update.c
export function rcu_read_lock_held(): boolean {
  return current().rcu_read_lock_nesting > 0;
}

/** RCU_LOCKDEP_WARN() in include/linux/rcupdate.h: the suspicious-rcu splat. */
function rcu_lockdep_warn(t: task_struct, where: string, what: string): FindingInput {
  return {
    kind: 'suspicious-rcu',
    message: `suspicious RCU usage: ${what} in ${t.comm} (${where})`,
    report: rcu_suspicious(t, where, what),
    details: { thread: t.comm, what, where },
  };
}

// rcu_dereference_check() in include/linux/rcupdate.h: legal inside a read-side
// section or where `c` (e.g. lockdep_is_held(&kvm->mmu_lock)) holds.
export function rcu_dereference_check<T>(p: T, c: boolean, where = 'rcu_dereference_check()'): T {
  const t = current();
  if (!c && t.rcu_read_lock_nesting === 0) t.k.report(rcu_lockdep_warn(t, where, 'suspicious rcu_dereference_check() usage'));
  return p;
}

// rcu_dereference() in include/linux/rcupdate.h
export function rcu_dereference<T>(p: T, where = 'rcu_dereference()'): T {
  return rcu_dereference_check(p, false, where);
}

// rcu_dereference_protected() in include/linux/rcupdate.h: the update side, under `c`.
export function rcu_dereference_protected<T>(p: T, c: boolean, where = 'rcu_dereference_protected()'): T {
  const t = current();
  if (!c) t.k.report(rcu_lockdep_warn(t, where, 'suspicious rcu_dereference_protected() usage'));
  return p;
}

// synchronize_rcu() in kernel/rcu/tree.c: the grace period starts at the first
// point; the second (wait_rcu_gp) waits for the readers it found, if any.
export async function synchronize_rcu(): Promise<void> {
  const t = current();
  const op = { kind: 'synchronize_rcu', footprint: WRITE };
  const f =
    t.rcu_read_lock_nesting > 0
      ? rcu_lockdep_warn(t, FILE, 'Illegal synchronize_rcu() in RCU read-side critical section')
      : __might_sleep(t, FILE, 'synchronize_rcu()');
  if (f !== null) return t.k.splat_at(op, f);
  await t.k.run.point(op);
  const gp = gp_start(t.k);
  if (gp.length === 0) return;
  await t.k.run.point({ kind: 'wait_rcu_gp', footprint: READ, waitsOn: () => gp_waits_on(gp) });
}

// call_rcu() in kernel/rcu/tree.c: after a grace period, `fn` runs in softirq
// context (rcu_core() -> rcu_do_batch()) on the calling CPU. Queuing is CPU-local
// and callable from any context, so this is not a scheduling point: the grace
// period starts within the caller's current step.
export function call_rcu<H extends rcu_head>(head: H, fn: (head: H) => unknown): void {
  const t = current();
  // kasan_record_aux_stack(): a use after the callback frees the object names this
  // call. The object is the head itself, or the slab object the head lives in
  // (`kasan_obj`: a structure with an rcu_head inside, e.g. struct kvm_mmu_page).
  const aux = head instanceof kmem_obj ? head : (head as { kasan_obj?: unknown }).kasan_obj;
  if (aux instanceof kmem_obj) aux.aux_track = track_here(t.k, ['call_rcu']);
  const name = head instanceof kmem_obj ? head.key : (head as { name?: unknown }).name;
  const obj = typeof name === 'string' ? name : 'rcu_head';
  const gp = gp_start(t.k);
  const k = t.k;
  const cpu = t.cpu;
  const cb = k.spawn(k.unique(`rcu_callback:${obj}`), () => fn(head), SOFTIRQ_LEVEL, cpu, {
    kind: 'rcu_do_batch',
    obj,
    footprint: [...WRITE, ...k.cpu_footprint(cpu)],
    waitsOn: () => gp_waits_on(gp) ?? k.softirq_masked_by(cpu),
  });
  k.run.local<task_struct[]>(QUEUED, () => []).push(cb);
}

// rcu_barrier() in kernel/rcu/tree.c: waits for every callback queued so far.
export async function rcu_barrier(): Promise<void> {
  const t = current();
  const op = { kind: 'rcu_barrier', footprint: READ };
  const f = __might_sleep(t, FILE, 'rcu_barrier()');
  if (f !== null) return t.k.splat_at(op, f);
  const cbs = [...(t.k.run.localOf<task_struct[]>(QUEUED) ?? [])];
  await t.k.run.point({
    ...op,
    waitsOn: () => {
      const left = cbs.filter((cb) => cb.thread.state !== 'done').map((cb) => cb.comm);
      return left.length > 0 ? left : null;
    },
  });
}
