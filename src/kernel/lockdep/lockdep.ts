// The lock validator (kernel/locking/lockdep.c): held-lock tracking per task, and,
// with prove_locking, recursion, lock-order and irq-state checks against the graph
// shared by every schedule of the exploration.
import type { FindingInput, Schedule } from '../../engine/index.ts';
import type { Kernel } from '../kernel.ts';
import { HARDIRQ_MASK, SOFTIRQ_LEVEL, type task_struct } from '../task.ts';
import {
  calc_dep,
  exclusive_bit,
  irq_states,
  LOCK_USAGE_DIR_MASK,
  LOCK_USAGE_READ_MASK,
  lockdep_graph_of,
  usage_str,
  type lock_class,
  type lock_site,
  type lockdep_graph,
} from './graph.ts';
import { caller_name } from '../backtrace.ts';
import * as R from './reports.ts';

/** struct lockdep_map: what a lock shows lockdep. `name` is its class. */
export interface lockdep_map {
  readonly name: string;
  readonly wait_type_outer: number;
  readonly wait_type_inner: number;
}

/** struct held_lock. */
export interface held_lock {
  readonly instance: lockdep_map;
  /** Null when the acquisition is not validated (check = 0, or prove_locking off). */
  readonly cls: lock_class | null;
  /** 0 exclusive, 1 shared, 2 shared and recursive (rwlock_t readers). */
  readonly read: 0 | 1 | 2;
  readonly trylock: boolean;
  readonly hardirqs_off: boolean;
  /** The operation that took it, e.g. `spin_lock(A)`. */
  readonly ip: string;
  /** The step that took it; -1 while the task still waits for it. */
  step: number;
  /** In a traced run, the function that took it (kernel name), once taken. */
  caller?: string;
  /** Where lockdep recorded this acquisition (the graph, usage), dated once taken. */
  sites?: lock_site[];
}

/** The acquiring context once the operation's own masking is done (spin_lock_bh()
 * has bottom halves off by the time it holds the lock). */
export interface acquire_ctx {
  readonly hardirqs_off: boolean;
  readonly softirqs_enabled: boolean;
}

/** The validator of one schedule, over the exploration's graph. */
export class lockdep {
  readonly graph: lockdep_graph;

  constructor(private readonly k: Kernel) {
    this.graph = lockdep_graph_of(k.run);
  }

  /** Where `t` takes `h`, as a report names it: the step is set once it is taken. */
  site(t: task_struct, h: held_lock, held_ip?: string): lock_site {
    const base = { comm: t.comm, pid: t.pid, cpu: t.cpu, ip: h.ip, step: h.step, sched: this.k.schedule_no, run: this.k.run };
    const s: lock_site = held_ip === undefined ? base : { ...base, held_ip };
    (h.sites ??= []).push(s);
    return s;
  }

  /** `t` holds `h` now, the step just taken: date it and, in a traced run, name the
   * function that took it. */
  taken(h: held_lock): void {
    const run = this.k.run;
    h.step = run.step - 1;
    if (h.sites !== undefined) for (const s of h.sites) s.step = h.step;
    if (run.tracing) h.caller = caller_name(run.stackAt(h.step)) ?? undefined;
  }

  /** lock_acquire(): validates, then pushes the held lock. Runs before the task
   * waits for the lock, as in the kernel, so a deadlock is reported before it hangs. */
  acquire(t: task_struct, map: lockdep_map, read: 0 | 1 | 2, trylock: boolean, check: boolean, ctx: acquire_ctx, ip: string): FindingInput | null {
    const cls = check && this.k.prove_locking ? this.graph.register(map.name, map.wait_type_outer, map.wait_type_inner) : null;
    const h: held_lock = { instance: map, cls, read, trylock, hardirqs_off: ctx.hardirqs_off, ip, step: -1 };
    if (cls !== null) {
      const f = this.mark_usage(t, h, ctx) ?? (trylock ? null : (this.check_deadlock(t, h) ?? this.check_prevs_add(t, h, ctx)));
      if (f !== null) return f;
    }
    t.held_locks.push(h);
    return null;
  }

  /** lock_release(): the most recent hold of `map` goes, in any order. */
  release(t: task_struct, map: lockdep_map, ip: string): FindingInput | null {
    for (let i = t.held_locks.length - 1; i >= 0; i--) {
      if (t.held_locks[i]!.instance !== map) continue;
      t.held_locks.splice(i, 1);
      return null;
    }
    return {
      kind: 'bad-unlock',
      message: `bad unlock balance: ${t.comm} releases ${map.name}, which it does not hold (${ip})`,
      report: R.unlock_imbalance_bug(t, map.name, ip),
      details: { lock: map.name, thread: t.comm },
    };
  }

  /** lock_is_held_type(): read -1 any, 0 exclusive, 1 shared. */
  is_held(t: task_struct, map: lockdep_map, read: -1 | 0 | 1 = -1): boolean {
    return t.held_locks.some((h) => h.instance === map && (read === -1 || (read === 0) === (h.read === 0)));
  }

  /** lockdep_softirqs_on(): locks held while bottom halves come back on become softirq-unsafe. */
  softirqs_on(t: task_struct): FindingInput | null {
    if (t.irqs_off) return null;
    return this.mark_held_locks(t, irq_states[1].enabled);
  }

  /** lockdep_hardirqs_on(). */
  hardirqs_on(t: task_struct): FindingInput | null {
    return this.mark_held_locks(t, irq_states[0].enabled) ?? (t.softirqs_enabled ? this.mark_held_locks(t, irq_states[1].enabled) : null);
  }

  private mark_held_locks(t: task_struct, base: number): FindingInput | null {
    const ctx: acquire_ctx = { hardirqs_off: t.irqs_off, softirqs_enabled: t.softirqs_enabled };
    for (const h of t.held_locks) {
      if (h.cls === null) continue;
      const f = this.mark_lock(t, h, base + (h.read ? LOCK_USAGE_READ_MASK : 0), ctx);
      if (f !== null) return f;
    }
    return null;
  }

  /** mark_usage(): in which irq contexts, and with which irqs enabled, the lock is taken. */
  private mark_usage(t: task_struct, h: held_lock, ctx: acquire_ctx): FindingInput | null {
    const r = h.read ? LOCK_USAGE_READ_MASK : 0;
    let bits = 0;
    if (!h.trylock) {
      if ((t.preempt_count & HARDIRQ_MASK) !== 0) bits |= 1 << (irq_states[0].used_in + r);
      if (t.level === SOFTIRQ_LEVEL) bits |= 1 << (irq_states[1].used_in + r);
    }
    if (!h.hardirqs_off) {
      bits |= 1 << (irq_states[0].enabled + r);
      if (ctx.softirqs_enabled) bits |= 1 << (irq_states[1].enabled + r);
    }
    bits &= ~h.cls!.usage; // the usual case: nothing new
    for (let bit = 0; bits !== 0; bit++, bits >>= 1) {
      if ((bits & 1) === 0) continue;
      const f = this.mark_lock(t, h, bit, ctx);
      if (f !== null) return f;
    }
    return null;
  }

  /** mark_lock() and mark_lock_irq(): a usage that contradicts an earlier one of the
   * same class is an inconsistent lock state; one that contradicts a class it
   * depends on (or that depends on it) is an irq lock inversion. Only write usages
   * are followed through the graph, which keeps the indirect check free of false
   * alarms between recursive readers. */
  private mark_lock(t: task_struct, h: held_lock, bit: number, ctx: acquire_ctx): FindingInput | null {
    const c = h.cls!;
    if (c.has(bit)) return null;
    const excl = exclusive_bit(bit);
    const read = (bit & LOCK_USAGE_READ_MASK) !== 0;
    const prev_bit = c.has(excl) ? excl : !read && c.has(excl | LOCK_USAGE_READ_MASK) ? excl | LOCK_USAGE_READ_MASK : -1;
    if (prev_bit >= 0) {
      const prev_site = c.usage_site[prev_bit];
      return {
        kind: 'irq-unsafe-lock',
        message: `inconsistent lock state: ${c.name} {${usage_str[prev_bit]}} -> {${usage_str[bit]}} usage in ${t.comm}`,
        report: R.usage_bug(t, h, prev_bit, bit, R.irq_context(t, ctx.hardirqs_off, ctx.softirqs_enabled), prev_site),
        details: { lock: c.name, from: usage_str[prev_bit], to: usage_str[bit] },
        prelude: this.preludes([prev_site]),
      };
    }
    if (!read) {
      const st = irq_states[(bit & ~(LOCK_USAGE_DIR_MASK | LOCK_USAGE_READ_MASK)) === irq_states[0].used_in ? 0 : 1];
      const forwards = (bit & LOCK_USAGE_DIR_MASK) === 0;
      const p = forwards ? this.graph.search(c, true, false, (x) => x.has(st.enabled)) : this.graph.search(c, false, false, (x) => x.has(st.used_in));
      if (p !== null && p.found !== c) {
        const pair: R.irq_pair = forwards
          ? { irqclass: st.name, safe: c, safe_site: undefined, unsafe: p.found, unsafe_site: p.found.usage_site[st.enabled] }
          : { irqclass: st.name, safe: p.found, safe_site: p.found.usage_site[st.used_in], unsafe: c, unsafe_site: undefined };
        const near = forwards ? p.edges[0]!.to : p.edges[0]!.from;
        const middle = near === pair.safe ? pair.unsafe : near;
        return {
          kind: 'irq-unsafe-lock',
          message: `possible irq lock inversion: ${c.name} became ${st.name}-${forwards ? 'safe' : 'unsafe'} in ${t.comm}, but it ${forwards ? 'took' : 'was taken under'} ${st.name}-${forwards ? 'unsafe' : 'safe'} ${p.found.name}`,
          report: R.irq_inversion_bug(t, h, forwards, pair, middle),
          details: { lock: c.name, other: p.found.name, irq: st.name },
          prelude: this.preludes([forwards ? pair.unsafe_site : pair.safe_site, ...p.edges.map((d) => d.site)]),
        };
      }
    }
    c.usage |= 1 << bit;
    c.usage_site[bit] = this.site(t, h);
    return null;
  }

  /** check_deadlock(): taking a class already held, unless both are recursive reads. */
  private check_deadlock(t: task_struct, next: held_lock): FindingInput | null {
    for (const prev of t.held_locks) {
      if (prev.cls !== next.cls) continue;
      if (next.read === 2 && prev.read !== 0) continue;
      return {
        kind: 'recursive-locking',
        message: `possible recursive locking: ${t.comm} takes ${next.cls!.name} (${next.ip}) while holding it (${prev.ip})`,
        report: R.recursive_bug(t, next, prev),
        details: { lock: next.cls!.name, thread: t.comm },
      };
    }
    return null;
  }

  /** check_prevs_add(): a dependency from the nearest held lock (and from the
   * trylocks above it), the rest follow by transitivity. */
  private check_prevs_add(t: task_struct, next: held_lock, ctx: acquire_ctx): FindingInput | null {
    for (let i = t.held_locks.length - 1; i >= 0; i--) {
      const prev = t.held_locks[i]!;
      if (prev.cls === null) continue;
      const f = this.check_prev_add(t, prev, next, ctx);
      if (f !== null) return f;
      if (!prev.trylock) break;
    }
    return null;
  }

  /** check_prev_add(): refuse `prev -> next` if `next` already reaches `prev` or
   * the edge joins an irq-safe lock to an irq-unsafe one; else record it. */
  private check_prev_add(t: task_struct, prev: held_lock, next: held_lock, ctx: acquire_ctx): FindingInput | null {
    const p = prev.cls!;
    const n = next.cls!;
    if (p === n) return null; // a recursive read of the held class, allowed by check_deadlock()
    const type = calc_dep(prev.read, next.read);
    if (this.graph.has(p, n, type)) return null;
    const here = this.site(t, next, prev.ip);
    const cycle = this.graph.search(n, true, next.read === 2, (c, restricted) => c === p && (!restricted || prev.read === 0));
    if (cycle !== null) {
      const chain = [n.name, ...cycle.edges.map((d) => d.to.name)];
      const scheds = cycle.edges.map((d) => d.site.sched);
      return {
        kind: 'lock-order-inversion',
        message: `possible circular locking dependency: ${t.comm} takes ${n.name} while holding ${p.name}, but ${chain.join(' -> ')} was recorded (schedule #${scheds.join(', #')})`,
        report: R.circular_bug(t, next, prev, cycle.edges, here),
        details: { acquiring: n.name, holding: p.name, chain, schedules: scheds },
        prelude: this.preludes(cycle.edges.map((d) => d.site)),
      };
    }
    const f = this.check_irq_usage(t, prev, next, ctx);
    if (f !== null) return f;
    this.graph.add(p, n, type, here);
    return null;
  }

  /** check_irq_usage(): some lock that reaches `prev` is taken in irq context, and
   * some lock `next` reaches is taken with that irq enabled. */
  private check_irq_usage(t: task_struct, prev: held_lock, next: held_lock, ctx: acquire_ctx): FindingInput | null {
    for (const st of irq_states) {
      const back = this.graph.search(prev.cls!, false, prev.read !== 0, (c) => c.has(st.used_in));
      if (back === null) continue;
      const fwd = this.graph.search(next.cls!, true, next.read === 2, (c) => c.has(st.enabled));
      if (fwd === null) continue;
      const pair: R.irq_pair = {
        irqclass: st.name,
        safe: back.found,
        safe_site: back.found.usage_site[st.used_in],
        unsafe: fwd.found,
        unsafe_site: fwd.found.usage_site[st.enabled],
      };
      return {
        kind: 'irq-unsafe-lock',
        message: `${st.name}-safe -> ${st.name}-unsafe lock order: ${t.comm} takes ${next.cls!.name} while holding ${prev.cls!.name}; ${pair.safe.name} is taken in ${st.name.toLowerCase()} context, ${pair.unsafe.name} with ${st.name.toLowerCase()}s enabled`,
        report: R.bad_irq_dependency(t, R.irq_context(t, ctx.hardirqs_off, ctx.softirqs_enabled), prev, next, pair),
        details: { safe: pair.safe.name, unsafe: pair.unsafe.name, irq: st.name },
        prelude: this.preludes([pair.safe_site, pair.unsafe_site, ...back.edges.map((d) => d.site), ...fwd.edges.map((d) => d.site)]),
      };
    }
    return null;
  }

  /** The earlier schedules that recorded `sites`, oldest first, whole: replaying
   * them before the finding's own schedule rebuilds the graph it was found with. */
  private preludes(sites: readonly (lock_site | undefined)[]): Schedule[] | undefined {
    const runs = new Map<number, lock_site['run']>();
    for (const s of sites) if (s !== undefined && s.run !== this.k.run) runs.set(s.sched, s.run);
    if (runs.size === 0) return undefined;
    return [...runs.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r.schedule());
  }
}
