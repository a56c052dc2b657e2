// lockdep's assertions (include/linux/lockdep.h): synchronous checks on the running
// task's held locks; a failure is a WARN.
import { warning } from '../checks.ts';
import { current, type task_struct } from '../task.ts';
import type { lockdep_map } from './lockdep.ts';
import { held_locks } from './reports.ts';

function assert_failed(t: task_struct, what: string): void {
  const f = warning(t, 'assert-held-failed', what, `${what} failed in ${t.comm}`, [], held_locks(t));
  t.k.report(f);
}

// lockdep_is_held() in include/linux/lockdep.h
export function lockdep_is_held(l: lockdep_map): boolean {
  const t = current();
  return t.k.lockdep.is_held(t, l);
}

// lockdep_assert_held() in include/linux/lockdep.h
export function lockdep_assert_held(l: lockdep_map): void {
  const t = current();
  if (!t.k.lockdep.is_held(t, l)) assert_failed(t, `lockdep_assert_held(${l.name})`);
}

// lockdep_assert_held_write() in include/linux/lockdep.h
export function lockdep_assert_held_write(l: lockdep_map): void {
  const t = current();
  if (!t.k.lockdep.is_held(t, l, 0)) assert_failed(t, `lockdep_assert_held_write(${l.name})`);
}

// lockdep_assert_held_read() in include/linux/lockdep.h
export function lockdep_assert_held_read(l: lockdep_map): void {
  const t = current();
  if (!t.k.lockdep.is_held(t, l, 1)) assert_failed(t, `lockdep_assert_held_read(${l.name})`);
}

// lockdep_assert_not_held() in include/linux/lockdep.h
export function lockdep_assert_not_held(l: lockdep_map): void {
  const t = current();
  if (t.k.lockdep.is_held(t, l)) assert_failed(t, `lockdep_assert_not_held(${l.name})`);
}

// lockdep_assert() in include/linux/lockdep.h: `what` names the condition.
export function lockdep_assert(cond: boolean, what = 'lockdep_assert()'): void {
  if (!cond) assert_failed(current(), what);
}

// lockdep_assert_once() in include/linux/lockdep.h: the run stops at the first anyway.
export const lockdep_assert_once = lockdep_assert;
