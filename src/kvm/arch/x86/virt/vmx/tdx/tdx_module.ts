// the TDX module (firmware) behind the SEAMCALLs of arch/x86/virt/vmx/tdx/tdx.c
// The TDX module's side of a TD: the Secure EPT, the TLB-tracking epoch, the
// vCPUs' entry epochs and the content of private pages; and the SEAMCALLs KVM
// issues on them (arch/x86/virt/vmx/tdx/tdx.c wrappers; semantics from Intel's TDX
// module: BLOCK, TRACK, DEMOTE, REMOVE, AUG, SEPT.ADD; and the guest's ACCEPT).
// Every SEAMCALL is one scheduling point; it checks its preconditions and returns
// the module's status, as the module does, rather than throwing. With the host's
// `seamcall_contention`, a SEAMCALL also has a duration: at an entry point it takes
// the module's internal locks on what it works on (the S-EPT entries, the TD's TLB
// epoch, a region's PAMT entry), completes at its own point and drops them; another
// SEAMCALL needing one of them meanwhile returns TDX_OPERAND_BUSY, as the module's
// sept_lock_acquire_host() / pamt_walk() do. Two failures of the module are choices
// of the search (engine/faults.ts), enabled by a scenario's budget: `seamcall_busy` (TDX_OPERAND_BUSY from the S-EPT SEAMCALLs KVM handles it
// for) and `demote` (TDH.MEM.PAGE.DEMOTE out of resources).
import { faultEnabled, type Footprint, nameFaultClass, type Run } from '../../../../../../engine/index.ts';
import { fmt_gfn, gfn_round_for_level, type gfn_t, KVM_PAGES_PER_HPAGE, type kvm_pfn_t, level_name, PG_LEVEL_4K, SPTE_ENT_PER_PAGE } from '../../../include/asm/kvm_host.ts';
import { type tdx_status, TDX_SUCCESS } from '../../../include/asm/shared/tdx_errno.ts';
import { model_key, range_write, touch_range } from '../../../../../model/footprint.ts';
import { interval_map } from '../../../../../model/interval_map.ts';
import { level_map } from '../../../../../model/level_map.ts';
import { empty_map, is_empty_map, Kernel, should_fail } from '../../../../../model/kernel.ts';
import { tracepoint } from '../../../../../model/tracepoint.ts';
import { piece, piece_hi, piece_lo, piece_run, Z_SEPT_LEAF } from '../../../../../model/zobrist.ts';

export { TDX_SUCCESS, tdx_operand_busy, type tdx_status } from '../../../include/asm/shared/tdx_errno.ts';

/** The fault classes of the TDX module: their injector threads are `tdx_busy#N` and
 * `fail_demote#N`. */
export const FAULT_SEAMCALL_BUSY = 'seamcall_busy';
export const FAULT_DEMOTE = 'demote';
nameFaultClass(FAULT_SEAMCALL_BUSY, 'tdx_busy');
nameFaultClass(FAULT_DEMOTE, 'fail_demote');

/** A leaf of the Secure EPT. Once in the S-EPT, its state changes only through the
 * TD (tdx_td.block(), tdx_td.accept()), which records the write. */
export class sept_entry {
  /** Whether the guest accepted the page (MAPPED) or not yet (PENDING). */
  accepted = false;
  blocked = false;
  /** The TD epoch when TDH.MEM.RANGE.BLOCK ran. */
  blocked_epoch = -1;

  constructor(
    readonly gfn: gfn_t,
    readonly level: number,
    readonly pfn: kvm_pfn_t,
  ) {}

  get state(): 'pending' | 'mapped' | 'blocked' {
    return this.blocked ? 'blocked' : this.accepted ? 'mapped' : 'pending';
  }

  get pages(): number {
    return KVM_PAGES_PER_HPAGE(this.level);
  }
}

/** `eager`: DEMOTE makes its 512 leaves at once (the plain method the lazy fill
 * is compared with, test/kvm/sept_lazy_fill.test.ts). */
export const sept_fill = { eager: false };

/** The 512 leaves DEMOTE put in a table at (gfn, level): the leaf `i` maps
 * gfn + i * pages to pfn + i * pages, accepted or not, unblocked. */
interface sept_demoted {
  readonly gfn: gfn_t;
  readonly level: number;
  readonly pfn: kvm_pfn_t;
  readonly accepted: boolean;
}

/** The leaf `i` of the table `d` describes, as DEMOTE makes it. */
function demoted_leaf(d: sept_demoted, i: number): sept_entry {
  const n = KVM_PAGES_PER_HPAGE(d.level);
  const e = new sept_entry(d.gfn + i * n, d.level, d.pfn + i * n);
  e.accepted = d.accepted;
  return e;
}

/** A table a walk of the S-EPT is in (tdx_td.walk_next()): its level, the GFNs an
 * entry maps, the next GFN to look at and where its part of the range ends. */
interface sept_frame {
  readonly level: number;
  readonly n: number;
  g: gfn_t;
  readonly to: gfn_t;
}

/** No pairs, for a walk that stops at every leaf (leaves_in()). */
const NO_PAIRS: readonly number[] = [];

/** Per-vCPU state the module keeps (TDVPS): in the guest or not, and the epoch it
 * entered at; each access recorded (`td:vp<id>`). */
export class tdx_vp {
  private the_in_guest = false;
  private the_epoch: number;
  private readonly key: model_key;
  /** A write of this vCPU's state, as a point declares it. */
  readonly fp: readonly Footprint[];

  constructor(
    private readonly run: Run,
    id: number,
    epoch: number,
  ) {
    this.key = new model_key(`td:vp${id}`);
    this.fp = [this.key.write];
    this.the_epoch = epoch;
  }

  // Accessors of the class, not ones defined on each object (which make a
  // dictionary-mode object).
  get in_guest(): boolean {
    this.run.touch(this.key.read);
    return this.the_in_guest;
  }
  set in_guest(v: boolean) {
    this.run.touch(this.key.write);
    this.the_in_guest = v;
  }

  /** The TD epoch it entered at. */
  get epoch(): number {
    this.run.touch(this.key.read);
    return this.the_epoch;
  }
  set epoch(v: number) {
    this.run.touch(this.key.write);
    this.the_epoch = v;
  }
}

/** Why the S-EPT changed; for the invariants' dirty logs. */
export interface sept_change {
  readonly gfn: gfn_t;
  readonly pages: number;
  readonly what: 'aug' | 'block' | 'unblock' | 'demote' | 'promote' | 'remove' | 'accept' | 'write';
}

/** A SEAMCALL and its outcome, for the TDX invariant. */
export interface seamcall_event {
  readonly leaf: string;
  readonly gfn: gfn_t;
  readonly level: number;
  readonly status: tdx_status;
}

const EPOCH = new model_key('td:epoch');
/** The S-EPT's keys by level (`sept:<level>`), made once: they are immutable. */
const SEPT_KEYS: readonly model_key[] = [0, 1, 2, 3, 4, 5, 6].map((l) => new model_key(`sept:${l}`));
const NO_VCPUS = new model_key('td:wait_for_sept_zap');

/** A module lock a SEAMCALL in flight holds: `key` and a range in it (an S-EPT level
 * by GFN, the TD epoch, the PAMT by region), exclusive or shared. */
export interface module_lock {
  readonly key: string;
  readonly lo: number;
  readonly hi: number;
  readonly shared: boolean;
}

/** The module's internal locks held by SEAMCALLs in flight (seamcall_contention):
 * recorded under the keys of what they protect, so two SEAMCALLs that may contend
 * are ordered by partial-order reduction as accesses of the same state. */
export class tdx_module_locks {
  private held: Array<module_lock & { readonly owner: string }> = [];

  constructor(private readonly run: Run) {}

  /** The lock of `want` someone else holds in a conflicting mode, if any. */
  conflict(want: readonly module_lock[]): module_lock | null {
    for (const w of want) {
      touch_range(this.run, w.key, 'read', w.lo, w.hi);
      for (const h of this.held) {
        if (h.key === w.key && h.lo < w.hi && w.lo < h.hi && !(h.shared && w.shared)) return h;
      }
    }
    return null;
  }

  acquire(owner: string, locks: readonly module_lock[]): void {
    for (const l of locks) touch_range(this.run, l.key, 'write', l.lo, l.hi);
    this.held = [...this.held, ...locks.map((l) => ({ ...l, owner }))];
  }

  release(owner: string, locks: readonly module_lock[]): void {
    for (const l of locks) touch_range(this.run, l.key, 'write', l.lo, l.hi);
    this.held = this.held.filter((h) => h.owner !== owner || !locks.some((l) => l.key === h.key && l.lo === h.lo && l.hi === h.hi));
  }

  /** Held locks, for tests and reports (not recorded). */
  peek(): ReadonlyArray<module_lock & { readonly owner: string }> {
    return this.held;
  }
}

// struct tdx_td in arch/x86/include/asm/tdx.h, plus the module's state for the TD.
// Every access to the S-EPT goes through the methods below, which record it by
// level and GFN range (`sept:<level>`: leaves and tables alike).
export class tdx_td {
  /** Leaves by level then base GFN (index 0 unused). Sparse. */
  private readonly sept: Array<level_map<sept_entry, sept_demoted>> = [];
  /** Non-leaf S-EPT entries (tables added by TDH.MEM.SEPT.ADD or DEMOTE), by level
   * then base GFN. A level's map is empty_map() until first written (level_map.eager_maps). */
  private readonly sept_tables: Array<Map<gfn_t, kvm_pfn_t>> = [];
  /** Non-leaf entries TDH.MEM.RANGE.BLOCK blocked (before a PROMOTE), with the TD
   * epoch they were blocked at, by level then base GFN; empty_map() as sept_tables. */
  private readonly sept_tables_blocked: Array<Map<gfn_t, number>> = [];
  /** The module's locks on this TD's S-EPT entries and epoch (seamcall_contention). */
  readonly locks: tdx_module_locks;
  private the_epoch = 0;
  readonly vp = new Map<number, tdx_vp>();
  /** A write of every vCPU's state, as a point that kicks them all declares it. */
  all_vps_fp: readonly Footprint[] = [];
  /** Content version of private pages, by PFN: what the guest last wrote or accepted. */
  readonly content: interval_map<string>;
  /** Per thread ('' at set-up), the versions it gave out: each thread draws from its
   * own sequence, so two threads' writes commute. */
  private readonly content_seq = new Map<string, number>();

  /** kvm_tdx->wait_for_sept_zap, set by tdh_do_no_vcpus() (arch/x86/kvm/vmx/tdx.c)
   * around its retry: no vCPU enters the TD, so nothing in the module contends with
   * KVM's SEAMCALL and it cannot be TDX_OPERAND_BUSY. */
  private the_wait_for_sept_zap = false;
  /** Zobrist hash (model/zobrist.ts) of the S-EPT's leaves, for kvm_state_hash(). */
  z_lo = 0;
  z_hi = 0;

  readonly tp_sept_changed = new tracepoint<sept_change>('tdx_sept_changed');
  readonly tp_seamcall = new tracepoint<seamcall_event>('tdx_seamcall');

  constructor(
    readonly run: Run,
    readonly root_level: number,
    /** The module's PAMT, shared by every TD on the host. */
    readonly pamt: tdx_pamt,
    /** The module lacks TDX_FEATURES0.ENHANCE_DEMOTE_INTERRUPTIBILITY: an
     * interrupted DEMOTE returns TDX_INTERRUPTED_RESTARTABLE. */
    readonly demote_interruptible = false,
  ) {
    this.locks = new tdx_module_locks(run);
    for (let l = 0; l <= root_level; l++) {
      this.sept.push(new level_map(Math.max(1, KVM_PAGES_PER_HPAGE(l)), demoted_leaf));
      this.sept_tables.push(level_map.eager_maps ? new Map() : empty_map());
      this.sept_tables_blocked.push(level_map.eager_maps ? new Map() : empty_map());
    }
    this.content = new interval_map<string>({ run, key: 'td:content' });
  }

  // The recorded fields' accessors are the class's, not ones defined on each
  // object (which make a dictionary-mode object, slower at every access).

  /** The TLB-tracking epoch, bumped by TDH.MEM.TRACK (recorded as `td:epoch`). */
  get epoch(): number {
    this.run.touch(EPOCH.read);
    return this.the_epoch;
  }
  set epoch(v: number) {
    this.run.touch(EPOCH.write);
    this.the_epoch = v;
  }

  /** See the_wait_for_sept_zap (recorded as `td:wait_for_sept_zap`). */
  get wait_for_sept_zap(): boolean {
    this.run.touch(NO_VCPUS.read);
    return this.the_wait_for_sept_zap;
  }
  set wait_for_sept_zap(v: boolean) {
    this.run.touch(NO_VCPUS.write);
    this.the_wait_for_sept_zap = v;
  }

  /** Records an access of the level-`level` entries over [lo, hi). */
  private touch(level: number, lo: gfn_t, hi: gfn_t, access: 'read' | 'write'): void {
    touch_range(this.run, SEPT_KEYS[level]!.key, access, lo, hi);
  }

  private touch_entry(gfn: gfn_t, level: number, access: 'read' | 'write'): void {
    if (this.run.recording) this.touch(level, gfn, gfn + KVM_PAGES_PER_HPAGE(level), access);
  }

  /** TDH.VP.CREATE/INIT for vCPU `id`, at set-up. */
  add_vp(id: number): void {
    const vp = new tdx_vp(this.run, id, this.epoch);
    this.vp.set(id, vp);
    this.all_vps_fp = [...this.all_vps_fp, ...vp.fp];
  }

  /** A fresh content version, from the running thread's own sequence. */
  new_content_version(): string {
    const thread = this.run.current?.name ?? '';
    const n = (this.content_seq.get(thread) ?? 0) + 1;
    this.content_seq.set(thread, n);
    return thread === '' ? `${n}` : `${n}@${thread}`;
  }

  /** The leaf mapping `gfn`, if any (model-internal lookup, not a SEAMCALL). */
  lookup(gfn: gfn_t): sept_entry | null {
    for (let l = PG_LEVEL_4K; l < this.root_level; l++) {
      const base = gfn_round_for_level(gfn, l);
      this.touch_entry(base, l, 'read');
      const e = this.sept[l]!.get(base);
      if (e !== undefined) return e;
    }
    return null;
  }

  /** Where the run of accepted 4K leaves that starts with the 4K leaf `e` and maps
   * contiguous PFNs ends, at most `hi`: model-internal and NOT recorded, for a caller
   * whose reads are not being recorded (the leaves are those lookup() finds). */
  accepted_4k_run_end(e: sept_entry, hi: gfn_t): gfn_t {
    return this.sept[PG_LEVEL_4K]!.run_end(
      e.gfn + 1,
      hi,
      (x, g) => x.accepted && x.pfn === e.pfn + (g - e.gfn),
      // Leaves DEMOTE made that nothing looked at yet: demoted_leaf() gives leaf i
      // pfn d.pfn + i at gfn d.gfn + i, so each continues e's PFNs exactly when the
      // table's offset from GFN to PFN is e's, whatever i.
      (d) => d.accepted && d.pfn - d.gfn === e.pfn - e.gfn,
    );
  }

  /** The leaf at exactly (gfn, level). */
  leaf_at(gfn: gfn_t, level: number): sept_entry | null {
    if (this.sept[level] === undefined) return null;
    this.touch_entry(gfn, level, 'read');
    return this.sept[level].get(gfn) ?? null;
  }

  /** What leaf_at() finds at exactly (gfn, level), as a number, without making a leaf
   * DEMOTE left unmade (demoted_leaf(): its table's PFN plus its offset, unblocked):
   * -1 when there is no leaf, its PFN when it is not blocked, -2 - its PFN when it
   * is. Recorded as leaf_at() is. */
  leaf_pfn_at(gfn: gfn_t, level: number): number {
    const m = this.sept[level];
    if (m === undefined) return -1;
    this.touch_entry(gfn, level, 'read');
    const d = m.lazy(gfn);
    if (d !== undefined) return d.pfn + (gfn - d.gfn);
    const e = m.get(gfn);
    if (e === undefined) return -1;
    return e.blocked ? -2 - e.pfn : e.pfn;
  }

  /** Whether a table sits at (gfn, level). */
  has_table(gfn: gfn_t, level: number): boolean {
    this.touch_entry(gfn, level, 'read');
    return this.sept_tables[level]!.has(gfn);
  }

  /** Links the table page `page` at (gfn, level). */
  set_table(gfn: gfn_t, level: number, page: kvm_pfn_t): void {
    this.touch_entry(gfn, level, 'write');
    let m = this.sept_tables[level]!;
    if (is_empty_map(m)) this.sept_tables[level] = m = new Map();
    m.set(gfn, page);
  }

  /** Unlinks the table at (gfn, level) (PROMOTE). */
  delete_table(gfn: gfn_t, level: number): void {
    this.touch_entry(gfn, level, 'write');
    this.sept_tables[level]!.delete(gfn);
    this.sept_tables_blocked[level]!.delete(gfn);
  }

  /** The epoch the table entry at (gfn, level) was blocked at, if blocked. */
  table_blocked_epoch(gfn: gfn_t, level: number): number | undefined {
    this.touch_entry(gfn, level, 'read');
    return this.sept_tables_blocked[level]?.get(gfn);
  }

  /** TDH.MEM.RANGE.BLOCK / UNBLOCK of the table entry at (gfn, level). */
  block_table(gfn: gfn_t, level: number, blocked: boolean): void {
    this.touch_entry(gfn, level, 'write');
    if (blocked) {
      let m = this.sept_tables_blocked[level]!;
      if (is_empty_map(m)) this.sept_tables_blocked[level] = m = new Map();
      m.set(gfn, this.epoch);
    } else this.sept_tables_blocked[level]!.delete(gfn);
  }

  /** A table entry above `level` on the path to `gfn` is blocked: the walk stops there. */
  blocked_above(gfn: gfn_t, level: number): boolean {
    for (let l = this.root_level; l > level; l--) {
      if (this.table_blocked_epoch(gfn_round_for_level(gfn, l), l) !== undefined) return true;
    }
    return false;
  }

  /** TDH.MEM.RANGE.UNBLOCK's change to the leaf `e`. */
  unblock(e: sept_entry): void {
    this.touch_entry(e.gfn, e.level, 'write');
    const held = this.sept[e.level]!.get(e.gfn) === e;
    if (held) this.z_toggle(e);
    e.blocked = false;
    e.blocked_epoch = -1;
    if (held) this.z_toggle(e);
  }

  /** True when the non-leaf entries from the root down to `level + 1` exist and none
   * is blocked. */
  walk_to(gfn: gfn_t, level: number): boolean {
    for (let l = this.root_level; l > level; l--) {
      const base = gfn_round_for_level(gfn, l);
      if (!this.has_table(base, l) || this.table_blocked_epoch(base, l) !== undefined) return false;
    }
    return true;
  }

  /** TLB tracking is done for an entry blocked at `blocked_epoch`: a TRACK ran after
   * the BLOCK and no vCPU still runs in the guest from an epoch at or before it. */
  tlb_tracking_done(blocked_epoch: number): boolean {
    if (this.epoch <= blocked_epoch) return false;
    for (const vp of this.vp.values()) if (vp.in_guest && vp.epoch <= blocked_epoch) return false;
    return true;
  }

  /** Leaves inside [lo, hi), in order, found by walking the S-EPT tables from the
   * root (walk_next(), with no pairs: it stops at every leaf). */
  *leaves_in(lo: gfn_t, hi: gfn_t): IterableIterator<sept_entry> {
    const stack: sept_frame[] = [];
    this.enter_table(stack, this.root_level, 0, lo, hi);
    for (;;) {
      const g = this.walk_next(stack, lo, hi, NO_PAIRS, NO_PAIRS, 0);
      if (g < 0) return;
      yield this.sept[stack[stack.length - 1]!.level]!.get(g)!;
    }
  }

  /** The first leaf leaves_in(lo, hi) yields whose GFN and level are not a pair
   * (gfns[k], levels[k]) for k < n (pairs in increasing GFN, as leaves_in() yields
   * leaves), or null: the same walk and the same reads recorded, and no leaf made
   * but the one returned. */
  first_leaf_not_among(lo: gfn_t, hi: gfn_t, gfns: readonly gfn_t[], levels: readonly number[], n: number): sept_entry | null {
    const stack: sept_frame[] = [];
    this.enter_table(stack, this.root_level, 0, lo, hi);
    const g = this.walk_next(stack, lo, hi, gfns, levels, n);
    return g < 0 ? null : this.sept[stack[stack.length - 1]!.level]!.get(g)!;
  }

  /** The walk of the leaves inside [lo, hi) that `stack` holds (its root table
   * entered by enter_table()) moves to the next leaf, in GFN order, whose GFN and
   * level are not a pair (gfns[k], levels[k]) for k < n (pairs in increasing GFN):
   * its GFN is returned (-1 when there is none), its level is the top table's. A
   * table's entries over [lo, hi) are recorded as read when the walk enters it. One
   * stack of tables (a generator per table, each delegating to its child's, cost
   * every check of a range a chain of them). A leaf is found by has(), not made: the
   * caller makes those it wants. The pairs are matched here, not by the caller
   * leaf by leaf, and the walk takes plain arguments, no walk object: the
   * agreement invariant's every check runs it. */
  private walk_next(stack: sept_frame[], lo: gfn_t, hi: gfn_t, gfns: readonly gfn_t[], levels: readonly number[], n: number): gfn_t {
    let k = 0;
    while (stack.length > 0) {
      const f = stack[stack.length - 1]!;
      if (f.g >= f.to) {
        stack.pop();
        continue;
      }
      const g = f.g;
      f.g += f.n;
      if (this.sept[f.level]!.has(g)) {
        while (k < n && gfns[k]! < g) k++;
        if (k < n && gfns[k] === g && levels[k] === f.level) continue;
        return g;
      }
      if (f.level > PG_LEVEL_4K && this.sept_tables[f.level]!.has(g)) this.enter_table(stack, f.level - 1, g, lo, hi);
    }
    return -1;
  }

  /** A walk enters the table of level `level` at `base`: records the read of its
   * entries over [lo, hi) and pushes it. */
  private enter_table(stack: sept_frame[], level: number, base: gfn_t, lo: gfn_t, hi: gfn_t): void {
    const n = KVM_PAGES_PER_HPAGE(level);
    const from = Math.max(base, gfn_round_for_level(lo, level));
    const to = Math.min(base + n * SPTE_ENT_PER_PAGE, hi);
    if (from < to) this.touch(level, from, to, 'read');
    stack.push({ level, n, g: from, to });
  }

  set_leaf(e: sept_entry): void {
    this.touch_entry(e.gfn, e.level, 'write');
    const old = this.sept[e.level]!.get(e.gfn);
    if (old !== undefined) this.z_toggle(old);
    this.sept[e.level]!.set(e.gfn, e);
    this.z_toggle(e);
  }

  /** Installs the 512 leaves of the table at (gfn, level + 1), at `level`, mapping
   * from `pfn` on, accepted or not (DEMOTE's). A kept footprint (dpor) lists each
   * leaf's write; otherwise one write of their range is recorded, which marks the
   * same invariants for a check. Their hash is added as a run (piece_run(): the XOR
   * z_toggle() would make of them one by one). */
  set_table_leaves(gfn: gfn_t, level: number, pfn: kvm_pfn_t, accepted: boolean): void {
    const n = KVM_PAGES_PER_HPAGE(level);
    const each = this.run.recordingReads;
    if (each) for (let i = 0; i < SPTE_ENT_PER_PAGE; i++) this.touch_entry(gfn + i * n, level, 'write');
    else this.touch(level, gfn, gfn + n * SPTE_ENT_PER_PAGE, 'write');
    // Made when first looked at (level_map.fill_lazy()): a schedule looks at few.
    // No closure made on the lazy path (tsx's keepNames: see src/engine/run.ts).
    const d: sept_demoted = { gfn, level, pfn, accepted };
    if (sept_fill.eager || !this.sept[level]!.fill_lazy(gfn, d)) {
      this.sept[level]!.fill(
        gfn,
        (i) => demoted_leaf(d, i),
        (old) => this.z_toggle(old),
      );
    }
    piece_run(Z_SEPT_LEAF | (level << 8), gfn, pfn, accepted ? 1 : 0, n, SPTE_ENT_PER_PAGE);
    this.z_lo ^= piece_lo;
    this.z_hi ^= piece_hi;
  }

  delete_leaf(e: sept_entry): void {
    this.touch_entry(e.gfn, e.level, 'write');
    const old = this.sept[e.level]!.get(e.gfn);
    if (old !== undefined) this.z_toggle(old);
    this.sept[e.level]!.delete(e.gfn);
  }

  /** TDH.MEM.RANGE.BLOCK's change to the leaf `e`. */
  block(e: sept_entry): void {
    this.touch_entry(e.gfn, e.level, 'write');
    const held = this.sept[e.level]!.get(e.gfn) === e;
    if (held) this.z_toggle(e);
    e.blocked = true;
    e.blocked_epoch = this.epoch;
    if (held) this.z_toggle(e);
  }

  /** TDG.MEM.PAGE.ACCEPT's change to the leaf `e`. */
  accept(e: sept_entry): void {
    this.touch_entry(e.gfn, e.level, 'write');
    const held = this.sept[e.level]!.get(e.gfn) === e;
    if (held) this.z_toggle(e);
    e.accepted = true;
    if (held) this.z_toggle(e);
  }

  /** XORs the hash of the leaf `e`, as it is now, into the S-EPT's (in, or out). */
  private z_toggle(e: sept_entry): void {
    piece(Z_SEPT_LEAF | (e.level << 8), e.gfn, e.pfn, e.blocked ? 2 : e.accepted ? 1 : 0);
    this.z_lo ^= piece_lo;
    this.z_hi ^= piece_hi;
  }

  changed(gfn: gfn_t, pages: number, what: sept_change['what']): void {
    this.tp_sept_changed.trace({ gfn, pages, what });
  }

  /** Number of S-EPT leaves, all levels (a read of all of them). */
  get nr_leaves(): number {
    let n = 0;
    for (let l = 0; l < this.sept.length; l++) {
      this.run.touch(SEPT_KEYS[l]!.read);
      n += this.sept[l]!.size;
    }
    return n;
  }
}

function sept_obj(gfn: gfn_t, level: number): string {
  return `S-EPT[${fmt_gfn(gfn)} ${level_name(level)}]`;
}

/** The S-EPT entry locks a SEAMCALL on (gfn, level) takes: the entry itself, and
 * for PROMOTE the 512 entries it merges (is_sept_page_valid_for_merge()). */
function sept_locks(leaf: string, gfn: gfn_t, level: number): module_lock[] {
  const n = KVM_PAGES_PER_HPAGE(level);
  // The keys made once (SEPT_KEYS): a key made per call is hashed anew by every Map
  // that looks it up.
  const locks: module_lock[] = [{ key: SEPT_KEYS[level]!.key, lo: gfn, hi: gfn + n, shared: false }];
  if (leaf === 'tdh_mem_page_promote') locks.push({ key: SEPT_KEYS[level - 1]!.key, lo: gfn, hi: gfn + n, shared: false });
  return locks;
}

/** The SEAMCALL `leaf` on the S-EPT entry at (gfn, level): its point; with
 * seamcall_contention, first an entry point that takes its module locks (or finds
 * one held: TDX_OPERAND_BUSY, returned), and the locks dropped at completion.
 * Null when the SEAMCALL goes on. */
async function seamcall(td: tdx_td, leaf: string, gfn: gfn_t, level: number, locks: readonly module_lock[] = sept_locks(leaf, gfn, level)): Promise<tdx_status | null> {
  const fp = locks.map((l) => range_write(l.key, l.lo, l.hi));
  return module_call(td.run, td.pamt, td.locks, leaf, sept_obj(gfn, level), fp, locks, () => done(td, leaf, gfn, level, 'TDX_OPERAND_BUSY'));
}

/** A SEAMCALL's point, with its entry point and module locks when the host models
 * contention (see seamcall()). */
async function module_call(
  run: Run,
  pamt: tdx_pamt,
  table: tdx_module_locks,
  leaf: string,
  obj: string,
  fp: readonly Footprint[],
  locks: readonly module_lock[],
  busy: () => tdx_status,
): Promise<tdx_status | null> {
  if (!pamt.contention) {
    await run.point({ kind: leaf, obj, footprint: fp });
    return null;
  }
  await run.point({ kind: `${leaf}:enter`, obj, footprint: fp });
  const held = table.conflict(locks);
  if (held !== null) {
    if (run.tracing) run.event(`${leaf}(${obj}): the module's lock on ${held.key} [0x${held.lo.toString(16)}, 0x${held.hi.toString(16)}) is held`);
    return busy();
  }
  const me = run.current?.name ?? '';
  table.acquire(me, locks);
  await run.point({ kind: leaf, obj, footprint: fp });
  table.release(me, locks);
  return null;
}

function done(td: tdx_td, leaf: string, gfn: gfn_t, level: number, status: tdx_status, injected = false): tdx_status {
  if (status !== TDX_SUCCESS && !injected) td.run.result(status);
  if (td.run.tracing) td.run.event(`SEAMCALL ${leaf}(${sept_obj(gfn, level)}) = ${status}`);
  td.tp_seamcall.trace({ leaf, gfn, level, status });
  return status;
}

/** Fault class `seamcall_busy`: the SEAMCALL `leaf` finds a lock of the module taken
 * and returns TDX_OPERAND_BUSY (TDX_INTERRUPTED_RESTARTABLE for an interrupted
 * DEMOTE on a module without ENHANCE_DEMOTE_INTERRUPTIBILITY), as the trace shows:
 * `tdh_mem_range_block(S-EPT[0x200 2M]) = TDX_OPERAND_BUSY [injected]`. Never while
 * tdh_do_no_vcpus() keeps the vCPUs out, whose retry "is guaranteed to succeed,
 * absent KVM and/or TDX-Module bugs" (an interrupt still can stop a DEMOTE). */
function seamcall_busy(td: tdx_td, leaf: string, gfn: gfn_t, level: number): tdx_status | null {
  if (!faultEnabled(td.run, FAULT_SEAMCALL_BUSY)) return null;
  const status: tdx_status = leaf === 'tdh_mem_page_demote' && td.demote_interruptible ? 'TDX_INTERRUPTED_RESTARTABLE' : 'TDX_OPERAND_BUSY';
  if (status === 'TDX_OPERAND_BUSY' && td.wait_for_sept_zap) return null;
  if (!should_fail(Kernel.of(td.run), FAULT_SEAMCALL_BUSY, `${leaf}(${sept_obj(gfn, level)})`, status)) return null;
  return done(td, leaf, gfn, level, status, true);
}

// tdh_mem_sept_add() in arch/x86/virt/vmx/tdx/tdx.c: link a new S-EPT table below
// the entry at (gfn, level).
export async function tdh_mem_sept_add(td: tdx_td, gfn: gfn_t, level: number, page: kvm_pfn_t): Promise<tdx_status> {
  gfn = gfn_round_for_level(gfn, level);
  const contended = await seamcall(td, 'tdh_mem_sept_add', gfn, level);
  if (contended !== null) return contended;
  const busy = seamcall_busy(td, 'tdh_mem_sept_add', gfn, level);
  if (busy !== null) return busy;
  if (!td.walk_to(gfn, level)) return done(td, 'tdh_mem_sept_add', gfn, level, 'TDX_EPT_WALK_FAILED');
  if (td.has_table(gfn, level) || td.leaf_at(gfn, level) !== null) {
    return done(td, 'tdh_mem_sept_add', gfn, level, 'TDX_EPT_ENTRY_STATE_INCORRECT');
  }
  td.set_table(gfn, level, page);
  return done(td, 'tdh_mem_sept_add', gfn, level, TDX_SUCCESS);
}

// tdh_mem_page_aug() in arch/x86/virt/vmx/tdx/tdx.c: add a PENDING private page.
export async function tdh_mem_page_aug(td: tdx_td, gfn: gfn_t, level: number, pfn: kvm_pfn_t): Promise<tdx_status> {
  const contended = await seamcall(td, 'tdh_mem_page_aug', gfn, level);
  if (contended !== null) return contended;
  const busy = seamcall_busy(td, 'tdh_mem_page_aug', gfn, level);
  if (busy !== null) return busy;
  if (!td.walk_to(gfn, level)) return done(td, 'tdh_mem_page_aug', gfn, level, 'TDX_EPT_WALK_FAILED');
  if (td.leaf_at(gfn, level) !== null || td.has_table(gfn, level)) {
    return done(td, 'tdh_mem_page_aug', gfn, level, 'TDX_EPT_ENTRY_STATE_INCORRECT');
  }
  td.set_leaf(new sept_entry(gfn, level, pfn));
  td.changed(gfn, KVM_PAGES_PER_HPAGE(level), 'aug');
  return done(td, 'tdh_mem_page_aug', gfn, level, TDX_SUCCESS);
}

// tdh_mem_range_block() in arch/x86/virt/vmx/tdx/tdx.c
export async function tdh_mem_range_block(td: tdx_td, gfn: gfn_t, level: number): Promise<tdx_status> {
  const contended = await seamcall(td, 'tdh_mem_range_block', gfn, level);
  if (contended !== null) return contended;
  const busy = seamcall_busy(td, 'tdh_mem_range_block', gfn, level);
  if (busy !== null) return busy;
  const e = td.leaf_at(gfn, level);
  if (e === null && level > PG_LEVEL_4K && td.has_table(gfn, level)) {
    // A non-leaf entry, blocked before a PROMOTE.
    if (td.table_blocked_epoch(gfn, level) !== undefined) return done(td, 'tdh_mem_range_block', gfn, level, 'TDX_EPT_ENTRY_STATE_INCORRECT');
    td.block_table(gfn, level, true);
    td.changed(gfn, KVM_PAGES_PER_HPAGE(level), 'block');
    return done(td, 'tdh_mem_range_block', gfn, level, TDX_SUCCESS);
  }
  if (e === null) return done(td, 'tdh_mem_range_block', gfn, level, 'TDX_EPT_WALK_FAILED');
  if (e.blocked) return done(td, 'tdh_mem_range_block', gfn, level, 'TDX_EPT_ENTRY_STATE_INCORRECT');
  td.block(e);
  td.changed(gfn, e.pages, 'block');
  return done(td, 'tdh_mem_range_block', gfn, level, TDX_SUCCESS);
}

const TRACK_FP: readonly Footprint[] = [EPOCH.write];
const TRACK_LOCKS: readonly module_lock[] = [{ key: 'td:epoch', lo: -Infinity, hi: Infinity, shared: false }];

// tdh_mem_track() in arch/x86/virt/vmx/tdx/tdx.c
export async function tdh_mem_track(td: tdx_td): Promise<tdx_status> {
  // The TD's epoch, exclusively.
  const contended = await module_call(td.run, td.pamt, td.locks, 'tdh_mem_track', 'TD epoch', TRACK_FP, TRACK_LOCKS, () => {
    td.run.result('TDX_OPERAND_BUSY');
    return 'TDX_OPERAND_BUSY';
  });
  if (contended !== null) return contended;
  td.epoch++;
  td.run.result(`epoch=${td.epoch}`);
  return TDX_SUCCESS;
}

/** Shared precondition of DEMOTE and REMOVE: blocked, then tracked. */
function blocked_and_tracked(td: tdx_td, e: sept_entry | null): tdx_status {
  if (e === null) return 'TDX_EPT_WALK_FAILED';
  if (!e.blocked) return 'TDX_EPT_ENTRY_STATE_INCORRECT';
  if (!td.tlb_tracking_done(e.blocked_epoch)) return 'TDX_TLB_TRACKING_NOT_DONE';
  return TDX_SUCCESS;
}

// tdh_mem_page_demote() in arch/x86/virt/vmx/tdx/tdx.c: split a blocked, tracked
// huge leaf into a table of 512 leaves one level down, in the leaf's former state.
// Splitting to 4K with Dynamic PAMT also installs the 4K PAMT of the leaf's 2M
// range, from the `pamt_pages` KVM hands in.
export async function tdh_mem_page_demote(
  td: tdx_td,
  gfn: gfn_t,
  level: number,
  new_table: kvm_pfn_t,
  pamt_pages: number,
): Promise<tdx_status> {
  const contended = await seamcall(td, 'tdh_mem_page_demote', gfn, level);
  if (contended !== null) return contended;
  const busy = seamcall_busy(td, 'tdh_mem_page_demote', gfn, level);
  if (busy !== null) return busy;
  const e = td.leaf_at(gfn, level);
  const pre = level === PG_LEVEL_4K ? 'TDX_EPT_WALK_FAILED' : blocked_and_tracked(td, e);
  if (pre !== TDX_SUCCESS) return done(td, 'tdh_mem_page_demote', gfn, level, pre);
  // Fault class `demote`: the module cannot demote for lack of resources.
  if (should_fail(Kernel.of(td.run), FAULT_DEMOTE, `tdh_mem_page_demote(${sept_obj(gfn, level)})`, 'TDX_INSUFFICIENT_RESOURCES')) {
    return done(td, 'tdh_mem_page_demote', gfn, level, 'TDX_INSUFFICIENT_RESOURCES', true);
  }
  const huge = e!;
  const pamt = td.pamt;
  if (level - 1 === PG_LEVEL_4K && pamt.dynamic && !pamt.is_installed(pamt_region(huge.pfn))) {
    if (pamt_pages < pamt.entry_pages) return done(td, 'tdh_mem_page_demote', gfn, level, 'TDX_INSUFFICIENT_RESOURCES');
    pamt.install(pamt_region(huge.pfn), gfn);
  }
  td.delete_leaf(huge);
  td.set_table(gfn, level, new_table);
  td.set_table_leaves(gfn, level - 1, huge.pfn, huge.accepted);
  td.changed(gfn, huge.pages, 'demote');
  return done(td, 'tdh_mem_page_demote', gfn, level, TDX_SUCCESS);
}

// tdh_mem_page_remove() in arch/x86/virt/vmx/tdx/tdx.c: the page leaves the TD and
// its contents are gone.
export async function tdh_mem_page_remove(td: tdx_td, gfn: gfn_t, level: number): Promise<tdx_status> {
  const contended = await seamcall(td, 'tdh_mem_page_remove', gfn, level);
  if (contended !== null) return contended;
  const busy = seamcall_busy(td, 'tdh_mem_page_remove', gfn, level);
  if (busy !== null) return busy;
  const e = td.leaf_at(gfn, level);
  const pre = blocked_and_tracked(td, e);
  if (pre !== TDX_SUCCESS) return done(td, 'tdh_mem_page_remove', gfn, level, pre);
  td.delete_leaf(e!);
  td.content.set(e!.pfn, e!.pfn + e!.pages, undefined);
  td.changed(gfn, e!.pages, 'remove');
  return done(td, 'tdh_mem_page_remove', gfn, level, TDX_SUCCESS);
}

// tdh_mem_range_unblock() in arch/x86/virt/vmx/tdx/tdx.c: the blocked entry (leaf or
// table) at (gfn, level) is usable again.
export async function tdh_mem_range_unblock(td: tdx_td, gfn: gfn_t, level: number): Promise<tdx_status> {
  const contended = await seamcall(td, 'tdh_mem_range_unblock', gfn, level);
  if (contended !== null) return contended;
  const e = td.leaf_at(gfn, level);
  if (e !== null && e.blocked) td.unblock(e);
  else if (e === null && level > PG_LEVEL_4K && td.table_blocked_epoch(gfn, level) !== undefined) td.block_table(gfn, level, false);
  else return done(td, 'tdh_mem_range_unblock', gfn, level, e === null && !td.has_table(gfn, level) ? 'TDX_EPT_WALK_FAILED' : 'TDX_EPT_ENTRY_STATE_INCORRECT');
  td.changed(gfn, KVM_PAGES_PER_HPAGE(level), 'unblock');
  return done(td, 'tdh_mem_range_unblock', gfn, level, TDX_SUCCESS);
}

// tdh_mem_page_promote() in arch/x86/virt/vmx/tdx/tdx.c (the module's
// tdh_mem_page_promote.c): merge the 512 leaves below the blocked, tracked table entry
// at (gfn, level) into one leaf at `level`. They must map contiguous, aligned memory
// in one state (all PENDING or all MAPPED: is_sept_page_valid_for_merge()), else
// TDX_EPT_INVALID_PROMOTE_CONDITIONS. The S-EPT page is unlinked (KVM reclaims it).
// Merging 4K leaves, the module frees the region's 4K PAMT with Dynamic PAMT and
// hands its pages back (version 1 of the leaf).
export async function tdh_mem_page_promote(td: tdx_td, gfn: gfn_t, level: number): Promise<tdx_status> {
  const leaf = 'tdh_mem_page_promote';
  gfn = gfn_round_for_level(gfn, level);
  const contended = await seamcall(td, leaf, gfn, level);
  if (contended !== null) return contended;
  if (level === PG_LEVEL_4K || !td.walk_to(gfn, level)) return done(td, leaf, gfn, level, 'TDX_EPT_WALK_FAILED');
  if (!td.has_table(gfn, level)) return done(td, leaf, gfn, level, 'TDX_EPT_ENTRY_STATE_INCORRECT');
  const epoch = td.table_blocked_epoch(gfn, level);
  if (epoch === undefined) return done(td, leaf, gfn, level, 'TDX_GPA_RANGE_NOT_BLOCKED');
  if (!td.tlb_tracking_done(epoch)) return done(td, leaf, gfn, level, 'TDX_TLB_TRACKING_NOT_DONE');
  const n = KVM_PAGES_PER_HPAGE(level - 1);
  const children: sept_entry[] = [];
  for (let i = 0; i < SPTE_ENT_PER_PAGE; i++) {
    const c = td.leaf_at(gfn + i * n, level - 1);
    const first = children[0];
    const ok = c !== null && !c.blocked && (first === undefined ? c.pfn % KVM_PAGES_PER_HPAGE(level) === 0 : c.pfn === first.pfn + i * n && c.accepted === first.accepted);
    if (!ok) return done(td, leaf, gfn, level, 'TDX_EPT_INVALID_PROMOTE_CONDITIONS');
    children.push(c);
  }
  for (const c of children) td.delete_leaf(c);
  td.delete_table(gfn, level);
  const merged = new sept_entry(gfn, level, children[0]!.pfn);
  merged.accepted = children[0]!.accepted;
  td.set_leaf(merged);
  const pamt = td.pamt;
  if (level - 1 === PG_LEVEL_4K && pamt.dynamic && pamt.is_installed(pamt_region(merged.pfn))) pamt.uninstall(pamt_region(merged.pfn), gfn);
  td.changed(gfn, merged.pages, 'promote');
  return done(td, leaf, gfn, level, TDX_SUCCESS);
}

/** What TDG.MEM.PAGE.ACCEPT does when it cannot complete in the guest. */
export type accept_result =
  | { readonly status: 'TDX_SUCCESS' | 'TDX_PAGE_ALREADY_ACCEPTED' | 'TDX_PAGE_SIZE_MISMATCH' | 'TDX_OPERAND_BUSY' }
  /** A TD exit to KVM: EPT violation (no usable mapping), or a mapping larger than
   * the accept level (KVM must split to `accept_level`). */
  | { readonly status: 'EXIT_EPT_VIOLATION'; readonly gfn: gfn_t; readonly accept_level: number }
  | { readonly status: 'EXIT_ACCEPT_SIZE_MISMATCH'; readonly gfn: gfn_t; readonly accept_level: number; readonly mapped_level: number };

// tdg_mem_page_accept() in arch/x86/coco/tdx/tdx-shared.c: the guest's TDCALL.
// Accepting a PENDING page zeroes it: its content gets a new version.
export async function tdg_mem_page_accept(td: tdx_td, gfn: gfn_t, level: number): Promise<accept_result> {
  gfn = gfn_round_for_level(gfn, level);
  // The guest's TDCALL locks the entry its walk ends at (the leaf mapping `gfn`).
  const at = td.pamt.contention ? td.lookup(gfn) : null;
  const contended = await seamcall(td, 'tdg_mem_page_accept', gfn, level, at === null ? undefined : sept_locks('tdg_mem_page_accept', at.gfn, at.level));
  if (contended !== null) return { status: 'TDX_OPERAND_BUSY' };
  const e = td.lookup(gfn);
  let r: accept_result;
  if (e === null || e.blocked || td.blocked_above(e.gfn, e.level)) r = { status: 'EXIT_EPT_VIOLATION', gfn, accept_level: level };
  else if (e.level > level) r = { status: 'EXIT_ACCEPT_SIZE_MISMATCH', gfn, accept_level: level, mapped_level: e.level };
  else if (e.level < level) r = { status: 'TDX_PAGE_SIZE_MISMATCH' };
  else if (e.accepted) r = { status: 'TDX_PAGE_ALREADY_ACCEPTED' };
  else {
    td.accept(e);
    td.content.set(e.pfn, e.pfn + e.pages, td.new_content_version());
    td.changed(e.gfn, e.pages, 'accept');
    r = { status: 'TDX_SUCCESS' };
  }
  if (r.status !== 'TDX_SUCCESS') td.run.result(r.status);
  return r;
}

// The TDX module's Physical Address Metadata Table with Dynamic PAMT (RFC v5 "TDX:
// Dynamic PAMT"): which 2 MiB host regions have their 4K-level PAMT, and the
// SEAMCALLs that add and remove it. The host's refcounts are in dpamt.ts.

/** The PAMT region (2 MiB of host memory) a PFN lies in. */
export function pamt_region(pfn: kvm_pfn_t): number {
  return Math.floor(pfn / SPTE_ENT_PER_PAGE);
}

const PAMT = 'pamt';

/** The module's Physical Address Metadata Table with Dynamic PAMT: which 2 MiB host
 * regions have their 4K-level PAMT installed (each access recorded by region). */
export class tdx_pamt {
  private readonly installed = new Set<number>();
  /** The module's locks on PAMT entries (seamcall_contention). */
  readonly locks: tdx_module_locks;
  /** A region's PAMT or refcount changed, on behalf of guest page `gfn` (-1: unknown). */
  readonly tp_changed = new tracepoint<{ readonly region: number; readonly gfn: number }>('tdx_pamt_changed');

  constructor(
    private readonly run: Run,
    /** Dynamic PAMT enabled (tdx_supports_dynamic_pamt()). */
    readonly dynamic: boolean,
    /** PAMT pages one 2 MiB region needs (tdx_dpamt_entry_pages()). */
    readonly entry_pages: number,
    /** SEAMCALLs last from an entry point to their completion, holding the module's
     * locks, and contend (tdx_host_opts.seamcall_contention). */
    readonly contention = false,
  ) {
    this.locks = new tdx_module_locks(run);
  }

  is_installed(region: number): boolean {
    touch_range(this.run, PAMT, 'read', region, region + 1);
    return this.installed.has(region);
  }

  install(region: number, gfn = -1): void {
    touch_range(this.run, PAMT, 'write', region, region + 1);
    this.installed.add(region);
    this.tp_changed.trace({ region, gfn });
  }

  uninstall(region: number, gfn = -1): void {
    touch_range(this.run, PAMT, 'write', region, region + 1);
    this.installed.delete(region);
    this.tp_changed.trace({ region, gfn });
  }
}

// tdh_phymem_pamt_add() in arch/x86/virt/vmx/tdx/tdx.c
/** A PAMT SEAMCALL's point: pamt_walk() takes the region's 2M PAMT entry exclusively. */
function pamt_seamcall(pamt: tdx_pamt, run: Run, leaf: string, region: number): Promise<tdx_status | null> {
  const locks: module_lock[] = [{ key: PAMT, lo: region, hi: region + 1, shared: false }];
  return module_call(run, pamt, pamt.locks, leaf, `PAMT[0x${region.toString(16)}]`, [range_write(PAMT, region, region + 1)], locks, () => pamt_status(run, 'TDX_OPERAND_BUSY'));
}

export async function tdh_phymem_pamt_add(pamt: tdx_pamt, run: Run, region: number, pages: number): Promise<tdx_status> {
  const contended = await pamt_seamcall(pamt, run, 'tdh_phymem_pamt_add', region);
  if (contended !== null) return contended;
  if (pages < pamt.entry_pages) return pamt_status(run, 'TDX_INSUFFICIENT_RESOURCES');
  // pamt_walk(): the region's 2M PAMT entry already in use.
  if (pamt.is_installed(region)) return pamt_status(run, 'TDX_HPA_RANGE_NOT_FREE');
  pamt.install(region);
  return TDX_SUCCESS;
}

// tdh_phymem_pamt_remove() in arch/x86/virt/vmx/tdx/tdx.c
export async function tdh_phymem_pamt_remove(pamt: tdx_pamt, run: Run, region: number): Promise<tdx_status> {
  const contended = await pamt_seamcall(pamt, run, 'tdh_phymem_pamt_remove', region);
  if (contended !== null) return contended;
  if (!pamt.is_installed(region)) return pamt_status(run, 'TDX_EPT_ENTRY_STATE_INCORRECT');
  pamt.uninstall(region);
  return TDX_SUCCESS;
}

function pamt_status(run: Run, s: tdx_status): tdx_status {
  run.result(s);
  return s;
}
