// The splats, in the wording of kernel/locking/lockdep.c, kernel/sched/core.c,
// kernel/rcu/update.c and kernel/panic.c. Stack traces, which the model has not got,
// are replaced by the operation, task, step and schedule that did it.
import { HARDIRQ_MASK, HARDIRQ_SHIFT, SOFTIRQ_MASK, SOFTIRQ_SHIFT, type task_struct } from '../task.ts';
import { LOCK_USAGE_DIR_MASK, usage_str, type lock_class, type lock_dep, type lock_site } from './graph.ts';
import type { held_lock } from './lockdep.ts';

/** print_kernel_ident(). */
export const KERNEL_IDENT = 'septcheck Not tainted';

/** The header every lockdep splat starts with. */
function banner(title: string): string[] {
  return ['', '='.repeat(title.length), title, KERNEL_IDENT, '-'.repeat(title.length)];
}

/** get_usage_chars(): `{+.+.}` for hardirq W/R then softirq W/R. */
export function usage_chars(c: lock_class | null): string {
  if (c === null) return '....';
  let s = '';
  for (const bit of [0, 1, 4, 5]) {
    const enabled = c.has(bit + LOCK_USAGE_DIR_MASK);
    const used_in = c.has(bit);
    s += enabled ? (used_in ? '?' : '+') : used_in ? '-' : '.';
  }
  return s;
}

/** print_lock_name(): `(name){usage}-{outer:inner}`. */
export function lock_name(c: lock_class): string {
  return `(${c.name}){${usage_chars(c)}}-{${c.wait_type_outer || c.wait_type_inner}:${c.wait_type_inner}}`;
}

function held_name(h: held_lock): string {
  if (h.cls !== null) return lock_name(h.cls);
  const m = h.instance;
  return `(${m.name}){....}-{${m.wait_type_outer || m.wait_type_inner}:${m.wait_type_inner}}`;
}

/** print_lock(). */
export function print_lock(h: held_lock): string {
  return `${held_name(h)}, at: ${h.caller ?? h.ip}${h.step >= 0 ? ` [step ${h.step}]` : ''}`;
}

/** lockdep_print_held_locks(). */
export function held_locks(t: task_struct): string[] {
  const n = t.held_locks.length;
  if (n === 0) return [`no locks held by ${t.label}.`];
  return [`${n} lock${n > 1 ? 's' : ''} held by ${t.label}:`, ...t.held_locks.map((h, i) => ` #${i}: ${print_lock(h)}`)];
}

/** Stands in for print_lock_trace(). */
export function site_lines(s: lock_site): string[] {
  const held = s.held_ip === undefined ? '' : ` holding ${s.held_ip}`;
  const when = s.step >= 0 ? `at step ${s.step} of schedule #${s.sched}` : `in this step of schedule #${s.sched}`;
  return [`       ${s.ip}`, `       by ${s.comm}/${s.pid} on CPU${s.cpu}${held}, ${when}`];
}

/** [HC0[0]:SC0[0]:HE1:SE1] as print_usage_bug() prints a context. */
export function irq_context(t: task_struct, hardirqs_off: boolean, softirqs_enabled: boolean): string {
  const hc = (t.preempt_count & HARDIRQ_MASK) >> HARDIRQ_SHIFT;
  const sc = (t.preempt_count & SOFTIRQ_MASK) >> SOFTIRQ_SHIFT;
  const in_hardirq = hc > 0 ? 1 : 0;
  const in_softirq = t.level === 1 ? 1 : 0;
  return `[HC${in_hardirq}[${hc}]:SC${in_softirq}[${sc}]:HE${hardirqs_off ? 0 : 1}:SE${softirqs_enabled ? 1 : 0}]`;
}

const DEADLOCK = ['', ' *** DEADLOCK ***', ''];
const CPUS = ['       CPU0                    CPU1', '       ----                    ----'];
const CPU1 = '                               ';

/** The lines both print_circular_bug() and print_deadlock_bug() open with. */
function acquire_while_holding(t: task_struct, next: held_lock, prev: held_lock): string[] {
  return [`${t.label} is trying to acquire lock:`, print_lock(next), '', 'but task is already holding lock:', print_lock(prev), ''];
}

/** print_circular_bug(): `path` runs from the class being taken to the one held. */
export function circular_bug(t: task_struct, next: held_lock, prev: held_lock, path: readonly lock_dep[], here: lock_site): string {
  const src = next.cls!;
  const tgt = prev.cls!;
  const parent = path[path.length - 1]!.from;
  const out = [
    ...banner('WARNING: possible circular locking dependency detected'),
    ...acquire_while_holding(t, next, prev),
    'which lock already depends on the new lock.',
    '',
    '',
    'the existing dependency chain (in reverse order) is:',
  ];
  for (let i = path.length; i >= 1; i--) out.push('', `-> #${i} ${lock_name(path[i - 1]!.to)}:`, ...site_lines(path[i - 1]!.site));
  out.push('', `-> #0 ${lock_name(src)}:`, ...site_lines(here), '', 'other info that might help us debug this:', '');
  if (parent !== src) out.push('Chain exists of:', `  ${src.name} --> ${parent.name} --> ${tgt.name}`, '');
  out.push(
    ' Possible unsafe locking scenario:',
    '',
    ...CPUS,
    `  ${prev.read ? 'rlock' : 'lock'}(${tgt.name});`,
    `${CPU1}lock(${parent.name});`,
    `${CPU1}lock(${tgt.name});`,
    `  ${next.read ? 'rlock' : 'lock'}(${src.name});`,
    ...DEADLOCK,
    ...held_locks(t),
  );
  return out.join('\n');
}

/** print_deadlock_bug(). */
export function recursive_bug(t: task_struct, next: held_lock, prev: held_lock): string {
  const name = next.cls!.name;
  return [
    ...banner('WARNING: possible recursive locking detected'),
    ...acquire_while_holding(t, next, prev),
    'other info that might help us debug this:',
    ' Possible unsafe locking scenario:',
    '',
    '       CPU0',
    '       ----',
    `  lock(${name});`,
    `  lock(${name});`,
    ...DEADLOCK,
    ' May be due to missing lock nesting notation',
    '',
    ...held_locks(t),
  ].join('\n');
}

/** print_usage_bug(): one lock used both in and outside an irq context. */
export function usage_bug(t: task_struct, h: held_lock, prev_bit: number, new_bit: number, ctx: string, prev_site: lock_site | undefined): string {
  const name = h.cls!.name;
  return [
    ...banner('WARNING: inconsistent lock state'),
    `inconsistent {${usage_str[prev_bit]}} -> {${usage_str[new_bit]}} usage.`,
    `${t.label} ${ctx} takes:`,
    print_lock(h),
    `{${usage_str[prev_bit]}} state was registered at:`,
    ...(prev_site === undefined ? [] : site_lines(prev_site)),
    '',
    'other info that might help us debug this:',
    ' Possible unsafe locking scenario:',
    '',
    '       CPU0',
    '       ----',
    `  lock(${name});`,
    '  <Interrupt>',
    `    lock(${name});`,
    ...DEADLOCK,
    ...held_locks(t),
  ].join('\n');
}

/** print_irq_lock_scenario(). */
function irq_lock_scenario(safe: lock_class, unsafe: lock_class, middle: lock_class): string[] {
  const out: string[] = [];
  if (middle !== unsafe) out.push('Chain exists of:', `  ${safe.name} --> ${middle.name} --> ${unsafe.name}`, '');
  out.push(
    ' Possible interrupt unsafe locking scenario:',
    '',
    ...CPUS,
    `  lock(${unsafe.name});`,
    `${CPU1}local_irq_disable();`,
    `${CPU1}lock(${safe.name});`,
    `${CPU1}lock(${middle.name});`,
    '  <Interrupt>',
    `    lock(${safe.name});`,
    ...DEADLOCK,
  );
  return out;
}

export interface irq_pair {
  /** HARDIRQ or SOFTIRQ. */
  readonly irqclass: string;
  readonly safe: lock_class;
  readonly safe_site: lock_site | undefined;
  readonly unsafe: lock_class;
  readonly unsafe_site: lock_site | undefined;
}

/** print_bad_irq_dependency(): a new `prev -> next` joins an irq-safe lock to an irq-unsafe one. */
export function bad_irq_dependency(t: task_struct, ctx: string, prev: held_lock, next: held_lock, p: irq_pair): string {
  const x = p.irqclass;
  const middle = prev.cls === p.safe ? next.cls! : prev.cls!;
  return [
    ...banner(`WARNING: ${x}-safe -> ${x}-unsafe lock order detected`),
    `${t.label} ${ctx} is trying to acquire:`,
    print_lock(next),
    '',
    'and this task is already holding:',
    print_lock(prev),
    'which would create a new lock dependency:',
    ` ${lock_name(prev.cls!)} -> ${lock_name(next.cls!)}`,
    '',
    `but this new dependency connects a ${x}-irq-safe lock:`,
    ` ${lock_name(p.safe)}`,
    '',
    `... which became ${x}-irq-safe at:`,
    ...(p.safe_site === undefined ? [] : site_lines(p.safe_site)),
    '',
    `to a ${x}-irq-unsafe lock:`,
    ` ${lock_name(p.unsafe)}`,
    '',
    `... which became ${x}-irq-unsafe at:`,
    '...',
    ...(p.unsafe_site === undefined ? [] : site_lines(p.unsafe_site)),
    '',
    'other info that might help us debug this:',
    '',
    ...irq_lock_scenario(p.safe, p.unsafe, middle),
    ...held_locks(t),
  ].join('\n');
}

/** print_irq_inversion_bug(): `h` just became irq-safe (forwards) or irq-unsafe. */
export function irq_inversion_bug(t: task_struct, h: held_lock, forwards: boolean, p: irq_pair, middle: lock_class): string {
  const x = p.irqclass;
  const other = forwards ? p.unsafe : p.safe;
  const other_site = forwards ? p.unsafe_site : p.safe_site;
  return [
    ...banner('WARNING: possible irq lock inversion dependency detected'),
    `${t.label} just changed the state of lock:`,
    print_lock(h),
    forwards ? `but this lock took another, ${x}-unsafe lock in the past:` : `but this lock was taken by another, ${x}-safe lock in the past:`,
    ` ${lock_name(other)}`,
    ...(other_site === undefined ? [] : site_lines(other_site)),
    '',
    '',
    'and interrupts could create inverse lock ordering between them.',
    '',
    '',
    'other info that might help us debug this:',
    ...irq_lock_scenario(p.safe, p.unsafe, middle),
    ...held_locks(t),
  ].join('\n');
}

/** print_unlock_imbalance_bug(). */
export function unlock_imbalance_bug(t: task_struct, name: string, ip: string): string {
  return [
    ...banner('WARNING: bad unlock balance detected!'),
    `${t.label} is trying to release lock (${name}) at:`,
    `       ${ip}`,
    'but there are no more locks to release!',
    '',
    'other info that might help us debug this:',
    ...held_locks(t),
  ].join('\n');
}

/** lockdep_sys_exit(). */
export function held_at_exit(t: task_struct): string {
  return [
    ...banner('WARNING: lock held when returning to user space!'),
    `${t.label} is leaving the kernel with locks still held!`,
    ...held_locks(t),
  ].join('\n');
}

/** lockdep_rcu_suspicious(). */
export function rcu_suspicious(t: task_struct, where: string, what: string): string {
  return [
    ...banner('WARNING: suspicious RCU usage'),
    `${where} ${what}!`,
    '',
    'other info that might help us debug this:',
    '',
    '',
    `rcu_scheduler_active = 2, debug_locks = 1`,
    ...held_locks(t),
  ].join('\n');
}

/** register_lock_class() on a lock whose key is not static: it was never initialised. */
export function non_static_key(debug_line: string[]): string {
  return [
    ...debug_line,
    'INFO: trying to register non-static key.',
    'The code is fine but needs lockdep annotation, or maybe',
    "you didn't initialize this object before use?",
    'turning off the locking correctness validator.',
  ].join('\n');
}

/** __warn(): `WARNING: CPU: n PID: p at <where>`, after the WARN's own message. */
export function warn_lines(t: task_struct | null, where: string, message: readonly string[] = []): string[] {
  const head = t === null ? `WARNING: at ${where}` : `WARNING: CPU: ${t.cpu} PID: ${t.pid} at ${where}`;
  const out = ['------------[ cut here ]------------', ...message, head];
  if (t !== null) out.push(`CPU: ${t.cpu} PID: ${t.pid} Comm: ${t.comm} ${KERNEL_IDENT}`);
  return out;
}

/** __might_resched(). */
export function sleep_bug(t: task_struct, file: string, what: string, expected: number): string {
  const out = [
    `BUG: sleeping function called from invalid context at ${file}`,
    `in_atomic(): ${t.preempt_count !== 0 ? 1 : 0}, irqs_disabled(): ${t.irqs_off ? 1 : 0}, non_block: 0, pid: ${t.pid}, name: ${t.comm}`,
    `preempt_count: ${t.preempt_count.toString(16)}, expected: ${expected.toString(16)}`,
    `RCU nest depth: ${t.rcu_read_lock_nesting}, expected: 0`,
    ...held_locks(t),
  ];
  if (t.preempt_count !== 0 && t.preempt_disable_ip !== null) out.push('Preemption disabled at:', `       ${t.preempt_disable_ip}`);
  out.push('Call Trace:', `       ${what}`);
  return out.join('\n');
}
