// What every sleeping wait shares (completions, wait queues, kthread_stop()):
// might_sleep()'s check, then a scheduling point that waits until `waitsOn` clears.
// A wait that never clears ends the run as a `deadlock` naming the operation, as
// the hung-task detector would name where the task sleeps.
import type { Op } from '../engine/index.ts';
import { __might_sleep } from './checks.ts';
import { current, type task_struct } from './task.ts';

/** Sleeps at `op` (`file` is where the kernel's might_sleep() for it sits). */
export async function sleep_at(file: string, op: Op): Promise<task_struct> {
  const t = current();
  const f = __might_sleep(t, file, op.obj === undefined ? op.kind : `${op.kind}(${op.obj})`);
  if (f !== null) return t.k.splat_at(op, f);
  await t.k.run.point(op);
  return t;
}

/** A task woken by wake_up_process() out of whatever it sleeps in, if anything. */
export interface sleeper {
  woken: boolean;
}

/** Marks `t` asleep until woken (task_struct.sleeper); the caller waits on `woken`. */
export function prepare_to_sleep(t: task_struct): sleeper {
  const s = { woken: false };
  t.sleeper = s;
  return s;
}

/** Wakes `t` if it sleeps; true when it did (try_to_wake_up()'s result). */
export function wake_task(t: task_struct): boolean {
  const s = t.sleeper;
  if (s === null || s.woken) return false;
  s.woken = true;
  t.sleeper = null;
  return true;
}

/** `t` is awake again (woken, or its condition held). */
export function finish_sleep(t: task_struct, s: sleeper): void {
  if (t.sleeper === s) t.sleeper = null;
}
