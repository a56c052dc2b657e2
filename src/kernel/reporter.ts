// Every finding of a run with a kernel, worded as the kernel would report it: a
// check of the model (an invariant) or a WARN_ON/KVM_BUG_ON as a WARNING with the
// function and kernel file it fired in, a call trace and the locks every task holds;
// lockdep and might_sleep() splats with the call trace they print; a deadlock as the
// hung-task and soft-lockup detectors would see it. Call traces come from the stack
// of the step (a traced run) or of the report itself (see backtrace.ts).
import { captureStack, headline, stackOf, type FindingInput, type ReportContext, type Reporter, type SimThread, type StuckThread } from '../engine/index.ts';
import { call_trace, caller_frame, kernel_frames, type kframe } from './backtrace.ts';
import type { Kernel } from './kernel.ts';
import { held_locks, KERNEL_IDENT } from './lockdep/reports.ts';
import { task_struct } from './task.ts';

/** The line __warn() ends a report with. */
const END_TRACE = '---[ end trace 0000000000000000 ]---';
/** Waits that spin (a task stuck there is a soft lockup); the others sleep. */
const SPINS = /^(spin_lock|read_lock|write_lock|raw_spin_lock|spin_until_cond)/;

export function kernel_reporter(k: Kernel): Reporter {
  return (f, ctx) => {
    if (ctx.origin === 'invariant') return invariant_warning(k, f, ctx);
    if (ctx.origin === 'run') return f.kind === 'deadlock' ? hung_tasks(k, f) : f.kind === 'thread-exception' ? with_all_locks(k, f) : f;
    return with_backtrace(k, f, ctx);
  };
}

function task_of(t: SimThread | null): task_struct | null {
  return t !== null && t.local instanceof task_struct ? t.local : null;
}

/** debug_show_all_locks(): every task that holds a lock, and what it holds. */
export function all_locks(k: Kernel): string[] {
  const holders = k.tasks.filter((t) => t.held_locks.length > 0);
  if (holders.length === 0) return ['Showing all locks held in the system: none'];
  return ['Showing all locks held in the system:', ...holders.flatMap((t) => held_locks(t))];
}

/** The WARNING of a check that failed after a step, as if a WARN_ON() stood where
 * the step's thread is now (its next call, once the step's code ran): in that
 * function, with its call trace and every task's locks. A thread that finished with
 * the step is shown at the step's own call. */
function invariant_warning(k: Kernel, f: FindingInput, ctx: ReportContext): FindingInput {
  const t = task_of(ctx.thread);
  if (t === null) return f;
  const stack = k.run.pendingStack(ctx.thread!) ?? (ctx.step >= 0 ? k.run.stackAt(ctx.step) : null);
  const frames = stack === null ? [] : kernel_frames(stack);
  const op = k.run.ops[ctx.step];
  const what = op === undefined ? 'its first step' : op.obj === undefined ? op.kind : `${op.kind}(${op.obj})`;
  return { ...f, report: warning_report(t, frames, [`${f.kind}: ${f.message}`], what, all_locks(k)).join('\n') };
}

/** __warn(): the message, `WARNING: CPU: c PID: p at FILE FUNC`, the task, the call
 * trace and the end of trace; then `extra`. `fallback` names where it fired when no
 * frame does.
 *
 * The kernel prints `at FILE:LINE FUNC+off/size`. Where the frame is the scenario's
 * own code, FILE:LINE is its file and line, real source the reader has. Where it is
 * a model function, FILE is its kernel counterpart's file and there is no LINE: the
 * model has no kernel source lines, and its own file and line (septcheck's
 * src/kvm, which backtrace.ts reads) would stand in the header for a kernel line it
 * is not, mean nothing to the list the report is pasted to, and move with every
 * edit of the model. FUNC, named after the kernel's, finds the model code. */
function warning_report(t: task_struct, frames: readonly kframe[], message: readonly string[], fallback: string, extra: readonly string[]): string[] {
  const at = caller_frame(frames);
  const where = at === null ? fallback : at.at !== null ? `${at.at}${at.fn === null ? '' : ` ${at.fn}`}` : `${at.file === null ? '' : `${at.file} `}${at.fn}`;
  return [
    '------------[ cut here ]------------',
    ...message,
    `WARNING: CPU: ${t.cpu} PID: ${t.pid} at ${where}`,
    `CPU: ${t.cpu} PID: ${t.pid} Comm: ${t.comm} ${KERNEL_IDENT}`,
    ...(frames.length > 0 ? call_trace(frames) : []),
    END_TRACE,
    ...extra,
  ];
}

/** A splat raised by a task's own code: its call trace added where the kernel prints
 * one (after a WARNING's task line, at the end of a lockdep splat, in place of
 * might_sleep()'s one-frame trace). */
function with_backtrace(k: Kernel, f: FindingInput, ctx: ReportContext): FindingInput {
  const t = task_of(ctx.thread);
  if (t === null || f.report === undefined) return f;
  const frames = kernel_frames(stackOf(k.take_splat_stack() ?? captureStack()) ?? '');
  if (f.kind === 'warn-on' || f.kind === 'kvm-bug-on') {
    const what = typeof f.details?.where === 'string' ? f.details.where : f.message;
    return { ...f, report: warning_report(t, frames, [what], what, all_locks(k)).join('\n') };
  }
  if (frames.length === 0) return f;
  const trace = call_trace(frames);
  // might_sleep()'s splat ends with the call it names: the trace replaces it.
  if (f.kind === 'sleep-in-atomic') {
    const cut = f.report.lastIndexOf('\nCall Trace:\n');
    return cut < 0 ? f : { ...f, report: [f.report.slice(0, cut), ...trace].join('\n') };
  }
  // A report with its own traces (KASAN's, with the allocation and free) stays as it is.
  if (f.report.includes('\nCall Trace:\n')) return f;
  return { ...f, report: [f.report, '', 'stack backtrace:', `CPU: ${t.cpu} PID: ${t.pid} Comm: ${t.comm} ${KERNEL_IDENT}`, ...trace].join('\n') };
}

/** A thread that threw: what every task held then. */
function with_all_locks(k: Kernel, f: FindingInput): FindingInput {
  if (!k.tasks.some((t) => t.held_locks.length > 0)) return f;
  return { ...f, report: [headline(f), '', ...all_locks(k)].join('\n') };
}

/** No task can run: each as the hung-task detector (a sleeping wait) or the
 * soft-lockup watchdog (a spinning one) reports it, with where it waits, and the
 * locks every task holds. A task that could run but may not is named with the task
 * that keeps its CPU. */
function hung_tasks(k: Kernel, f: FindingInput): FindingInput {
  const stuck = (f.details?.stuck ?? []) as readonly StuckThread[];
  const out: string[] = [];
  for (const s of stuck) {
    const th = k.run.threads.find((x) => x.name === s.thread) ?? null;
    const t = task_of(th);
    const who = t === null ? s.thread : `${t.comm}:${t.pid}`;
    const holders = (s.waitsFor ?? []).map((n) => label_of(k, n)).join(', ');
    if (s.waitsFor !== undefined && SPINS.test(s.at)) {
      out.push(`watchdog: BUG: soft lockup - CPU#${s.cpu} stuck [${who}]: spinning in ${s.at}${holders === '' ? '' : `, held by ${holders}`}`);
    } else if (s.waitsFor !== undefined) {
      out.push(`INFO: task ${who} blocked for good in ${s.at}${holders === '' ? '' : `, held by ${holders}`}.`);
    } else if (s.interruptedBy !== undefined) {
      out.push(`INFO: task ${who} is interrupted before ${s.at} by ${label_of(k, s.interruptedBy)}, which cannot finish.`);
    } else {
      const by = k.pinned_by(s.cpu);
      const why = by === null ? 'its CPU is not available' : `CPU#${s.cpu} runs ${by.label} with preemption disabled`;
      out.push(`INFO: task ${who} is runnable before ${s.at}, but ${why}.`);
    }
    const state = s.waitsFor !== undefined && !SPINS.test(s.at) ? 'D' : 'R';
    out.push(`task:${s.thread} state:${state} pid:${t?.pid ?? '?'} cpu:${s.cpu}`);
    const stack = th === null ? null : k.run.pendingStack(th);
    if (stack !== null) out.push(...call_trace(kernel_frames(stack)));
    out.push('');
  }
  out.push(...all_locks(k));
  return { ...f, report: out.join('\n') };
}

/** `comm/pid` of a thread by name, or the name. */
function label_of(k: Kernel, name: string): string {
  const t = task_of(k.run.threads.find((x) => x.name === name) ?? null);
  return t === null ? name : t.label;
}
