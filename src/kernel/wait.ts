// Wait queues (include/linux/wait.h, kernel/sched/wait.c): wait_event(wq, cond)
// sleeps until a wake_up() on wq finds `cond` true. The condition is checked and the
// waiter queued in one step (prepare_to_wait() sets the task state before the check),
// so no wake-up is lost; a waker that changes the condition but never calls
// wake_up() leaves the waiter asleep, a `deadlock` naming wait_event(wq). The
// condition runs inside the waiter's steps, so what it reads is recorded when it
// reads tracked state (run.cell, run.state); dpor and POS see the queue besides.
import type { Footprint, Op } from '../engine/index.ts';
import type { Kernel } from './kernel.ts';
import { finish_sleep, prepare_to_sleep, sleep_at, wake_task } from './sleep.ts';
import { current, type task_struct } from './task.ts';

const FILE = 'include/linux/wait.h';

// struct wait_queue_head in include/linux/wait.h
export class wait_queue_head {
  /** Tasks asleep on the queue, in the order they queued. */
  readonly head: task_struct[] = [];
  readonly fp: Footprint[];
  readonly check_op: Op;
  readonly wake_op: Op;
  readonly wake_all_op: Op;

  constructor(
    readonly k: Kernel,
    readonly name: string,
  ) {
    this.fp = [{ key: k.unique(`waitqueue:${name}`), access: 'write' }];
    this.check_op = { kind: 'wait_event', obj: name, footprint: this.fp };
    this.wake_op = { kind: 'wake_up', obj: name, footprint: this.fp };
    this.wake_all_op = { kind: 'wake_up_all', obj: name, footprint: this.fp };
  }
}

// init_waitqueue_head() in include/linux/wait.h
export function init_waitqueue_head(wq: wait_queue_head): void {
  wq.head.length = 0;
}

// DECLARE_WAIT_QUEUE_HEAD() in include/linux/wait.h
export function DECLARE_WAIT_QUEUE_HEAD(k: Kernel, name: string): wait_queue_head {
  return new wait_queue_head(k, name);
}

// wait_event() in include/linux/wait.h: the first step checks `cond` (might_sleep()
// first); while it is false the task queues, sleeps until woken, and checks again.
export async function wait_event(wq: wait_queue_head, cond: () => boolean): Promise<void> {
  let t = await sleep_at(FILE, wq.check_op);
  while (!cond()) {
    const s = prepare_to_sleep(t);
    wq.head.push(t);
    t = await sleep_at(FILE, { ...wq.check_op, waitsOn: () => (s.woken ? null : []) });
    finish_sleep(t, s);
    const i = wq.head.indexOf(t);
    if (i >= 0) wq.head.splice(i, 1);
  }
}

/** __wake_up() in kernel/sched/wait.c: wakes every task on the queue (no exclusive
 * waiters are modelled); callable from any context. */
async function __wake_up(wq: wait_queue_head, op: Op): Promise<void> {
  await current().k.run.point(op);
  for (const t of wq.head.splice(0)) wake_task(t);
}

// wake_up() in include/linux/wait.h
export const wake_up = (wq: wait_queue_head): Promise<void> => __wake_up(wq, wq.wake_op);

// wake_up_all() in include/linux/wait.h
export const wake_up_all = (wq: wait_queue_head): Promise<void> => __wake_up(wq, wq.wake_all_op);

// waitqueue_active() in include/linux/wait.h: a racy peek, not a scheduling point.
export function waitqueue_active(wq: wait_queue_head): boolean {
  return wq.head.length > 0;
}
