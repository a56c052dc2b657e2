// Lockdep's lock classes, dependency graph and irq-usage bits (kernel/locking/lockdep.c).
// One graph lives for a whole exploration, in run.shared, so a dependency recorded
// by one schedule meets its inverse recorded by another.
import type { Run } from '../../engine/index.ts';

/** Where lockdep saw something: stands in for the kernel's saved stack trace, and
 * names the schedule that must be replayed first when that was an earlier one. */
export interface lock_site {
  readonly comm: string;
  readonly pid: number;
  readonly cpu: number;
  /** The operation, e.g. `spin_lock(B)`. */
  readonly ip: string;
  /** For a dependency: the operation that took the lock already held. */
  readonly held_ip?: string;
  /** The step that took the lock; -1 while the acquisition is the current one (it
   * is validated before the task waits for the lock, as in the kernel). */
  step: number;
  /** Schedule number within the exploration, from 1. */
  readonly sched: number;
  readonly run: Run;
}

// Usage bits, enum lock_usage_bit in kernel/locking/lockdep_states.h order.
export const LOCK_USED_IN_HARDIRQ = 0;
export const LOCK_ENABLED_HARDIRQ = 2;
export const LOCK_USED_IN_SOFTIRQ = 4;
export const LOCK_ENABLED_SOFTIRQ = 6;
export const LOCK_USAGE_READ_MASK = 1;
export const LOCK_USAGE_DIR_MASK = 2;
export const usage_str = [
  'IN-HARDIRQ-W',
  'IN-HARDIRQ-R',
  'HARDIRQ-ON-W',
  'HARDIRQ-ON-R',
  'IN-SOFTIRQ-W',
  'IN-SOFTIRQ-R',
  'SOFTIRQ-ON-W',
  'SOFTIRQ-ON-R',
] as const;
/** The irq states, by the usage bit of their USED_IN write bit. */
export const irq_states = [
  { name: 'HARDIRQ', used_in: LOCK_USED_IN_HARDIRQ, enabled: LOCK_ENABLED_HARDIRQ },
  { name: 'SOFTIRQ', used_in: LOCK_USED_IN_SOFTIRQ, enabled: LOCK_ENABLED_SOFTIRQ },
] as const;

/** exclusive_bit(): the write bit of the opposite direction in the same state. */
export function exclusive_bit(bit: number): number {
  const state = bit & ~(LOCK_USAGE_READ_MASK | LOCK_USAGE_DIR_MASK);
  return state | ((bit & LOCK_USAGE_DIR_MASK) ^ LOCK_USAGE_DIR_MASK);
}

// Dependency kinds, as lockdep's DEP_*_BIT: prev held Shared or Exclusive, next taken
// Recursive-read or Non-recursive.
export const DEP_SR = 1;
export const DEP_SN = 2;
export const DEP_ER = 4;
export const DEP_EN = 8;
const DEP_E_PREV = DEP_ER | DEP_EN;
const DEP_N_NEXT = DEP_SN | DEP_EN;

/** __calc_dep_bit(): read is 0 (exclusive), 1 (shared) or 2 (shared, recursive). */
export function calc_dep(prev_read: number, next_read: number): number {
  return prev_read === 0 ? (next_read === 2 ? DEP_ER : DEP_EN) : next_read === 2 ? DEP_SR : DEP_SN;
}

/** struct lock_list: a dependency `from -> to` (to was taken while from was held). */
export interface lock_dep {
  readonly from: lock_class;
  readonly to: lock_class;
  types: number;
  /** Where it was first recorded. */
  readonly site: lock_site;
}

/** struct lock_class: all locks of one name share it. */
export class lock_class {
  usage = 0;
  readonly usage_site: (lock_site | undefined)[] = [];
  readonly fwd = new Map<lock_class, lock_dep>();
  readonly back = new Map<lock_class, lock_dep>();

  constructor(
    readonly id: number,
    readonly name: string,
    readonly wait_type_outer: number,
    readonly wait_type_inner: number,
  ) {}

  has(bit: number): boolean {
    return (this.usage & (1 << bit)) !== 0;
  }
}

/** What a search returns: the class found and the edges walked to it, in walk order. */
export interface lock_path {
  readonly found: lock_class;
  readonly edges: readonly lock_dep[];
}

/** The dependency graph: lock_classes and their lock_lists, kernel/locking/lockdep.c. */
export class lockdep_graph {
  private readonly classes = new Map<string, lock_class>();
  /** Schedules run so far in this exploration. */
  schedules = 0;
  /** Runs that added a dependency or a dependency type (usages keep their sites). */
  private readonly adders = new Set<Run>();

  /** The runs whose dependencies and usages the graph holds (the engine's
   * CrossSchedule): replayed in one exploration, they rebuild it. */
  witnesses(): Set<Run> {
    const out = new Set(this.adders);
    for (const c of this.classes.values()) for (const s of c.usage_site) if (s !== undefined) out.add(s.run);
    return out;
  }

  /** register_lock_class(). */
  register(name: string, wait_type_outer: number, wait_type_inner: number): lock_class {
    let c = this.classes.get(name);
    if (c === undefined) this.classes.set(name, (c = new lock_class(this.classes.size, name, wait_type_outer, wait_type_inner)));
    return c;
  }

  /** Records `from -> to` of kind `type`; false when it was already there. */
  add(from: lock_class, to: lock_class, type: number, site: lock_site): boolean {
    const d = from.fwd.get(to);
    if (d !== undefined) {
      if ((d.types & type) !== 0) return false;
      d.types |= type;
      this.adders.add(site.run);
      return true;
    }
    const dep: lock_dep = { from, to, types: type, site };
    from.fwd.set(to, dep);
    to.back.set(from, dep);
    this.adders.add(site.run);
    return true;
  }

  has(from: lock_class, to: lock_class, type: number): boolean {
    return ((from.fwd.get(to)?.types ?? 0) & type) !== 0;
  }

  /**
   * Breadth-first search along strong dependency paths (__bfs()): a path may not
   * take a recursive-read acquisition (`*R`) followed by a dependency from a shared
   * holder (`S*`), since recursive readers do not block each other. Forwards,
   * `restricted` means "entered by *R only"; backwards, "left by S* only".
   * `match(c, restricted)` is tried on every class reached, the start included.
   */
  search(
    start: lock_class,
    forwards: boolean,
    restricted: boolean,
    match: (c: lock_class, restricted: boolean) => boolean,
  ): lock_path | null {
    const parent = new Map<number, { key: number; dep: lock_dep } | null>();
    const key = (c: lock_class, r: boolean) => c.id * 2 + (r ? 1 : 0);
    const queue: Array<[lock_class, boolean]> = [[start, restricted]];
    parent.set(key(start, restricted), null);
    for (let i = 0; i < queue.length; i++) {
      const [c, r] = queue[i]!;
      if (match(c, r)) return { found: c, edges: path_to(parent, key(c, r)) };
      for (const dep of (forwards ? c.fwd : c.back).values()) {
        let types = dep.types;
        if (r) types &= forwards ? DEP_E_PREV : DEP_N_NEXT;
        if (types === 0) continue;
        const next = forwards ? dep.to : dep.from;
        const nr = forwards ? (types & DEP_N_NEXT) === 0 : (types & DEP_E_PREV) === 0;
        const nk = key(next, nr);
        // Entering unrestricted subsumes entering restricted: skip if either was seen better.
        if (parent.has(nk) || (nr && parent.has(key(next, false)))) continue;
        parent.set(nk, { key: key(c, r), dep });
        queue.push([next, nr]);
      }
    }
    return null;
  }
}

function path_to(parent: Map<number, { key: number; dep: lock_dep } | null>, k: number): lock_dep[] {
  const out: lock_dep[] = [];
  for (let p = parent.get(k); p; p = parent.get(p.key)) out.push(p.dep);
  return out.reverse();
}

const GRAPH_KEY = 'kernel:lockdep';

/** The exploration's graph, from run.shared. */
export function lockdep_graph_of(run: Run): lockdep_graph {
  let g = run.shared.get(GRAPH_KEY) as lockdep_graph | undefined;
  if (g === undefined) run.shared.set(GRAPH_KEY, (g = new lockdep_graph()));
  return g;
}
