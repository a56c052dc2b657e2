// Kernel threads made by a running thread (include/linux/kthread.h, kernel/kthread.c)
// and waiting for a task's end. A created thread sleeps in kthread() until
// wake_up_process(); kthread_stop() asks it to stop, wakes it and waits for its exit.
// Nothing here is a lockdep class in the kernel: the checks are might_sleep()'s, and
// a wait that never ends is a `deadlock` naming it.
import type { Footprint } from '../engine/index.ts';
import { prepare_to_sleep, sleep_at, wake_task } from './sleep.ts';
import { current, TASK_LEVEL, type task_struct } from './task.ts';

const FILE = 'kernel/kthread.c';
const EINTR = 4;

/** struct kthread in kernel/kthread.c, reduced: the stop flag and the exit code. */
export interface kthread {
  should_stop: boolean;
  result: number;
  /** The task's state: its creation, the stop flag, its exit. */
  readonly fp: Footprint[];
}

export type threadfn<D> = (data: D) => Promise<number | void> | number | void;

/** to_kthread() in kernel/kthread.c; tasks made with Kernel.kthread() have none. */
function to_kthread(t: task_struct): kthread | undefined {
  return t.worker_private ?? undefined;
}

// kthread_create_on_cpu() in kernel/kthread.c: `name` must be unique in the run.
export async function kthread_create_on_cpu<D>(fn: threadfn<D>, data: D, cpu: number | undefined, name: string): Promise<task_struct> {
  const fp: Footprint[] = [{ key: `task:${name}`, access: 'write' }];
  const parent = await sleep_at(FILE, { kind: 'kthread_create', obj: name, footprint: fp });
  const kt: kthread = { should_stop: false, result: 0, fp };
  const k = parent.k;
  let asleep = { woken: false };
  // kthread(): sleeps until woken; a thread stopped before it ran never calls fn.
  const task = k.spawn(
    name,
    async () => {
      if (kt.should_stop) return void (kt.result = -EINTR);
      kt.result = (await fn(data)) ?? 0;
    },
    TASK_LEVEL,
    cpu,
    { kind: 'kthread', obj: name, footprint: fp, waitsOn: () => (asleep.woken ? null : []) },
  );
  task.worker_private = kt;
  asleep = prepare_to_sleep(task);
  return task;
}

// kthread_create() in include/linux/kthread.h
export const kthread_create = <D>(fn: threadfn<D>, data: D, name: string): Promise<task_struct> => kthread_create_on_cpu(fn, data, undefined, name);

// wake_up_process() in kernel/sched/core.c: true when `t` was asleep.
export async function wake_up_process(t: task_struct): Promise<boolean> {
  await current().k.run.point({ kind: 'wake_up_process', obj: t.comm, footprint: to_kthread(t)?.fp ?? [{ key: `task:${t.comm}`, access: 'write' }] });
  return wake_task(t);
}

// kthread_run() in include/linux/kthread.h: created and woken.
export async function kthread_run<D>(fn: threadfn<D>, data: D, name: string): Promise<task_struct> {
  const t = await kthread_create(fn, data, name);
  wake_task(t);
  return t;
}

// kthread_should_stop() in kernel/kthread.c: a read of the flag kthread_stop() sets.
export async function kthread_should_stop(): Promise<boolean> {
  const t = current();
  const kt = to_kthread(t);
  await t.k.run.point({ kind: 'kthread_should_stop', footprint: kt === undefined ? [] : [{ key: kt.fp[0]!.key, access: 'read' }] });
  return kt?.should_stop ?? false;
}

/** Sleeps until `t` has exited (the end of kthread_stop(), kernel_wait()). */
async function wait_for_exit(kind: string, t: task_struct): Promise<void> {
  // The exit that lets it go on writes @exit:<name> (engine/run.ts): reading it makes
  // the wait depend on that exit, so dpor never reorders the two.
  const fp: Footprint[] = [
    { key: `task:${t.comm}`, access: 'read' },
    { key: `@exit:${t.thread.name}`, access: 'read' },
  ];
  await sleep_at(FILE, { kind, obj: t.comm, footprint: fp, waitsOn: () => (t.thread.state === 'done' ? null : [t.comm]) });
}

// kthread_stop() in kernel/kthread.c: sets the stop flag, wakes the thread, waits for
// it to exit and returns its result (-EINTR when it never ran).
export async function kthread_stop(t: task_struct): Promise<number> {
  const kt = to_kthread(t);
  if (kt === undefined) throw new Error(`kthread_stop(${t.comm}): not a thread made by kthread_create()`);
  await sleep_at(FILE, { kind: 'kthread_stop', obj: t.comm, footprint: kt.fp });
  kt.should_stop = true;
  wake_task(t);
  await wait_for_exit('kthread_stop', t);
  return kt.result;
}

// kernel_wait() in kernel/exit.c: waits for `t` to exit and returns its exit code
// (a kthread's result; 0 for other tasks). The join of a thread's end.
export async function kernel_wait(t: task_struct): Promise<number> {
  await wait_for_exit('kernel_wait', t);
  return to_kthread(t)?.result ?? 0;
}
