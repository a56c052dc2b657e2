// arch/x86/kvm/mmu/mmu_internal.h
// struct kvm_mmu_page: one page table of the TDP MMU (arch/x86/kvm/mmu/mmu_internal.h).
// The 512 entries are sparse: only entries that are not SHADOW_NONPRESENT_VALUE are
// stored, with a bitmap of their indices so a walk can jump over a run of
// non-present entries and still count every entry it passes. Every access to the
// entries is recorded here (footprint.ts: `spte:<m|d><level>`, by GFN range), the
// runs of non-present entries a walk jumps over included. The entries live in the
// table's page (sp->spt), which KASAN watches: an access after the page was freed
// is a use-after-free (the page's key is read by every access, written by the free).
import type { Run } from '../../../../../engine/index.ts';
import { type gfn_t, KVM_PAGES_PER_HPAGE, type kvm_pfn_t, SPTE_ENT_PER_PAGE } from '../../include/asm/kvm_host.ts';
import { FROZEN_SPTE, is_frozen_spte, is_last_spte, type leaf_spte, make_small_spte, SHADOW_NONPRESENT_VALUE, type u64 } from './spte.ts';
import { model_key } from '../../../../model/footprint.ts';
import { kasan_check_read, kasan_check_write, type Kernel, type kmem_cache, kmem_cache_create, type kmem_obj, stackdepot_skip_frames } from '../../../../model/kernel.ts';
import { piece, piece_hi, piece_lo, piece_run, Z_SPTE_FROZEN, Z_SPTE_LEAF } from '../../../../model/zobrist.ts';

// A table's accessors stand for memory accesses, not calls: KASAN's reports and
// kmemleak's stacks name the model function that made them.
stackdepot_skip_frames(/^kvm_mmu_page\./);

/** The key of a run's header cache (Run.local(), not a WeakMap: see engine/run.ts). */
const HEADER_CACHE = {};

// mmu_page_header_cache in arch/x86/kvm/mmu/mmu.c (extern in mmu_internal.h): the slab
// cache of struct kvm_mmu_page, one per host (kernel).
export function mmu_page_header_cache(k: Kernel): kmem_cache {
  return k.run.local(HEADER_CACHE, () => kmem_cache_create(k, 'kvm_mmu_page_header', 184));
}

// union kvm_mmu_page_role in arch/x86/include/asm/kvm_host.h (the bits the model uses)
export interface kvm_mmu_page_role {
  readonly level: number;
  /** The mirror root and its children: KVM's copy of the TDX module's S-EPT. */
  readonly is_mirror: boolean;
  /** Set on a root by kvm_tdp_mmu_invalidate_roots(). */
  invalid: boolean;
}

/** Where an SPTE lives: tdp_ptep_t, a table and an index into it. */
export interface tdp_ptep_t {
  readonly sp: kvm_mmu_page;
  readonly index: number;
}

// struct kvm_mmu_page in arch/x86/kvm/mmu/mmu_internal.h
export class kvm_mmu_page {
  /** Stored (not SHADOW_NONPRESENT_VALUE) entries, by index (a holey array: cheaper
   * than a Map to fill with 512 entries, as a split does). */
  private spt: (u64 | undefined)[] = [];
  /** Which indices of `spt` hold an entry: 16 words of 32 bits (a bitmap, where a
   * sorted list cost a zap of 512 entries quadratic time to keep). */
  private readonly bits: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  /** Entries stored. */
  private count = 0;
  /** The huge leaf populate() last split into this table from empty, and the level
   * of its entries: an index whose bit is set and whose slot in `spt` is empty holds
   * make_small_spte(lazy, lazy_level, index), made when first looked at (at()) and
   * kept from then on, so that it has one identity. A split makes 512 leaves, of
   * which most schedules look at few. */
  private lazy: leaf_spte | null = null;
  private lazy_level = 0;
  /** handle_removed_pt() froze every entry: the kernel writes FROZEN_SPTE into all
   * 512; the model marks the table (mark_removed()), so its non-present entries read
   * as frozen. */
  private is_removed = false;
  /** For roots: struct kvm_mmu_page::tdp_mmu_root_count (the refcount_t). */
  tdp_mmu_root_count: unknown = null;
  /** For mirror tables: sp->external_spt, the host page of the S-EPT table. Set
   * before the table is linked, never changed after. */
  external_spt: kvm_pfn_t | null = null;
  /** See external_spt_pamt. */
  private the_spt_pamt = false;
  /** Its footprint key (`sp:<name>:pamt`), made when first recorded. */
  private pamt_key: model_key | null = null;
  /** The memory behind the table (null for tables a test builds by hand): the
   * struct itself (mmu_page_header_cache), sp->spt, and sp->external_spt's page.
   * Set before the table is linked, never changed after; freed by tdp_mmu_free_sp(). */
  header: kmem_obj | null = null;
  spt_page: kmem_obj | null = null;
  external_spt_page: kmem_obj | null = null;
  /** The harness's record of the references on a root taken and not yet put, with
   * their stacks (model/lifetime.ts); null until one is taken. Not kernel state. */
  refs_held: unknown[] | null = null;
  nx_huge_page_disallowed = false;
  /** The parent entry, null for a root. */
  ptep: tdp_ptep_t | null = null;
  /** First GFN the table maps. */
  gfn: gfn_t = 0;
  private the_role: kvm_mmu_page_role = { level: 0, is_mirror: false, invalid: false };
  /** Footprint key of the entries: root type and level. */
  private key = 'spte:d0';
  /** Zobrist hash (model/zobrist.ts) of the leaves below this table, as
   * tdp_mmu_leaves() would list them: kept up to date by store() and carried up to
   * the root through linked parents, for kvm_state_hash(). */
  z_lo = 0;
  z_hi = 0;
  /** The GFN, level and root type the hash was made with (they are set before the
   * table is linked; a table re-initialised with entries is hashed again). */
  private z_gfn = 0;
  private z_tag = 0;

  constructor(
    /** Unique within the VM, for names in traces: a number for tables made at set-up,
     * `<n>@<thread>` for those a thread allocated (so allocations commute). */
    readonly id: number | string,
    /** The run whose accesses are recorded; null for a table outside any run. */
    private readonly run: Run | null = null,
  ) {}

  /** The external_spt page holds a DPAMT reference (tdx_pamt_get() succeeded); each
   * access recorded (`sp:<name>:pamt`). An accessor of the class, as every table has
   * one: accessors defined on each object cost a hidden class per table. */
  get external_spt_pamt(): boolean {
    const run = this.run;
    if (run !== null && run.recordingReads) run.touch(this.pamt().read);
    return this.the_spt_pamt;
  }
  set external_spt_pamt(v: boolean) {
    const run = this.run;
    if (run !== null && run.recording) run.touch(this.pamt().write);
    this.the_spt_pamt = v;
  }

  /** The footprint key of external_spt_pamt, made when first recorded. */
  private pamt(): model_key {
    return (this.pamt_key ??= new model_key(`sp:${this.name}:pamt`));
  }

  /** The slab object sp->rcu_head lives in (call_rcu() records KASAN's aux stack there). */
  get kasan_obj(): kmem_obj | null {
    return this.header;
  }

  /** Set by tdp_mmu_init_sp(), before the table is linked. */
  get role(): kvm_mmu_page_role {
    return this.the_role;
  }
  set role(role: kvm_mmu_page_role) {
    this.the_role = role;
    this.key = `spte:${role.is_mirror ? 'm' : 'd'}${role.level}`;
  }

  /** KASAN's check of an access to the table's page (sp->spt): a use-after-free when
   * it was freed. Records a read of the page's key (its free writes it). */
  private kasan(write: boolean): void {
    const page = this.spt_page;
    if (page === null) return;
    if (page.state === 'freed') {
      if (write) kasan_check_write(page, 8);
      else kasan_check_read(page, 8);
    } else if (this.run !== null && this.run.recordingReads) this.run.touch({ key: page.key, access: 'read' });
  }

  /** An entry as stored, without recording or checking anything: for model-internal
   * looks at the final state (kmemleak's scan). */
  peek(index: number): u64 {
    return this.at(index) ?? (this.is_removed ? FROZEN_SPTE : SHADOW_NONPRESENT_VALUE);
  }

  /** Whether handle_removed_pt() froze the table: a read of all its entries. */
  get removed(): boolean {
    this.kasan(false);
    this.touch(0, SPTE_ENT_PER_PAGE, 'read');
    return this.is_removed;
  }

  /** handle_removed_pt(): every entry becomes FROZEN_SPTE (a write of all of them). */
  mark_removed(): void {
    this.kasan(true);
    this.touch(0, SPTE_ENT_PER_PAGE, 'write');
    this.is_removed = true;
  }

  /** Records an access of entries [lo, hi). */
  private touch(lo: number, hi: number, access: 'read' | 'write'): void {
    const run = this.run;
    if (run === null || !(access === 'read' ? run.recordingReads : run.recording)) return;
    const n = this.entry_pages;
    run.touchRange(this.key, access, this.gfn + lo * n, this.gfn + hi * n);
  }

  /** GFNs one entry of this table maps. */
  get entry_pages(): number {
    return KVM_PAGES_PER_HPAGE(this.role.level);
  }

  get name(): string {
    return `sp${this.id}`;
  }

  /** kvm_tdp_mmu_read_spte() */
  read(index: number): u64 {
    this.kasan(false);
    this.touch(index, index + 1, 'read');
    return this.at(index) ?? (this.is_removed ? FROZEN_SPTE : SHADOW_NONPRESENT_VALUE);
  }

  /** __kvm_tdp_mmu_write_spte() */
  write(index: number, spte: u64): void {
    this.kasan(true);
    this.touch(index, index + 1, 'write');
    this.store(index, spte);
  }

  /** Fills every entry of a table no other thread can reach yet (one recorded write)
   * with make_small_spte(huge_spte, level, i): the table a split of `huge_spte`
   * makes, one level down at `level`. */
  populate(huge_spte: leaf_spte, level: number): void {
    this.kasan(true);
    this.touch(0, SPTE_ENT_PER_PAGE, 'write');
    // One carry of the hash for the 512 stores: carrying is an XOR of their changes.
    this.z_was_lo = this.z_lo;
    this.z_was_hi = this.z_hi;
    this.z_fresh();
    if (this.count === 0 && this.the_role.level === level) {
      // An empty table of this level: its leaves are made when first looked at
      // (`lazy`), and hashed as a run (piece_run(): the XOR z_entry() would make of
      // them one by one). Sized once, for the leaves made later.
      this.spt = new Array<u64 | undefined>(SPTE_ENT_PER_PAGE);
      this.lazy = huge_spte;
      this.lazy_level = level;
      this.bits.fill(-1);
      this.count = SPTE_ENT_PER_PAGE;
      const n = KVM_PAGES_PER_HPAGE(level);
      piece_run(Z_SPTE_LEAF | this.z_tag, this.gfn, huge_spte.pfn, 0, n, SPTE_ENT_PER_PAGE);
      this.z_lo ^= piece_lo;
      this.z_hi ^= piece_hi;
    } else {
      for (let i = 0; i < SPTE_ENT_PER_PAGE; i++) this.put(i, make_small_spte(huge_spte, level, i));
    }
    this.z_carry();
  }

  private store(index: number, spte: u64): void {
    this.z_was_lo = this.z_lo;
    this.z_was_hi = this.z_hi;
    this.z_fresh();
    if (this.put(index, spte)) this.z_carry();
  }

  /** Stores `spte` at `index`, updating the table's hash (z_fresh() done) but not
   * its parents'; false when nothing was stored (a non-present entry cleared). */
  private put(index: number, spte: u64): boolean {
    const old = this.at(index);
    if (old !== undefined) this.z_entry(index, old);
    if (spte === SHADOW_NONPRESENT_VALUE) {
      if (old === undefined) return false;
      this.spt[index] = undefined;
      this.bits[index >> 5]! &= ~(1 << (index & 31));
      this.count--;
    } else {
      this.spt[index] = spte;
      if (old === undefined) {
        this.bits[index >> 5]! |= 1 << (index & 31);
        this.count++;
      }
      this.z_entry(index, spte);
    }
    return true;
  }

  // Zobrist hash upkeep (not kernel state: nothing reads it but kvm_state_hash()).

  /** The hash of the table when store() began, for z_carry(). */
  private z_was_lo = 0;
  private z_was_hi = 0;

  /** Hashes the table again when its GFN or role changed since it was hashed. */
  private z_fresh(): void {
    const role = this.the_role;
    const tag = (role.level << 8) | (role.is_mirror ? 16 : 0);
    if (this.z_gfn === this.gfn && this.z_tag === tag) return;
    this.z_gfn = this.gfn;
    this.z_tag = tag;
    this.z_lo = 0;
    this.z_hi = 0;
    for (let i = this.first_at(0); i < SPTE_ENT_PER_PAGE; i = this.first_at(i + 1)) this.z_entry(i, this.at(i)!);
  }

  /** XORs the hash of entry `index` holding `spte` into the table's. */
  private z_entry(index: number, spte: u64): void {
    const level = this.the_role.level;
    if (is_last_spte(spte, level)) piece(Z_SPTE_LEAF | this.z_tag, this.gfn + index * KVM_PAGES_PER_HPAGE(level), spte.pfn, 0);
    else if (is_frozen_spte(spte)) piece(Z_SPTE_FROZEN | this.z_tag, this.gfn + index * KVM_PAGES_PER_HPAGE(level), 0, 0);
    else if (spte.tag === 'nonleaf') {
      spte.child.z_fresh();
      this.z_lo ^= spte.child.z_lo;
      this.z_hi ^= spte.child.z_hi;
      return;
    } else return;
    this.z_lo ^= piece_lo;
    this.z_hi ^= piece_hi;
  }

  /** Carries the change of this table's hash up through the parents that link it. */
  private z_carry(): void {
    const d_lo = this.z_lo ^ this.z_was_lo;
    const d_hi = this.z_hi ^ this.z_was_hi;
    if (d_lo === 0 && d_hi === 0) return;
    for (let sp: kvm_mmu_page = this; sp.ptep !== null; ) {
      const parent = sp.ptep.sp;
      const e = parent.spt[sp.ptep.index];
      if (e === undefined || e.tag !== 'nonleaf' || e.child !== sp) return;
      parent.z_lo ^= d_lo;
      parent.z_hi ^= d_hi;
      sp = parent;
    }
  }

  /** The first stored index at or after `index`, or SPTE_ENT_PER_PAGE-like `Infinity`:
   * a read of the entries from `index` through the one found. */
  next_stored(index: number): number {
    this.kasan(false);
    const next = this.first_at(index);
    this.touch(index, Math.min(next + 1, SPTE_ENT_PER_PAGE), 'read');
    return next;
  }

  /** Stored entries at or after `from`, in index order (model-internal, uncounted):
   * a read of the entries passed so far, all to the end once exhausted. */
  *entries(from = 0): IterableIterator<[number, u64]> {
    // A walk runs within one step: whether it records does not change under it.
    const recording = this.run !== null && this.run.recordingReads;
    this.kasan(false);
    let read = from;
    for (let i = this.first_at(from); i < SPTE_ENT_PER_PAGE; i = this.first_at(i + 1)) {
      if (recording) this.touch(read, i + 1, 'read');
      read = i + 1;
      yield [i, this.at(i)!];
    }
    if (recording) this.touch(read, SPTE_ENT_PER_PAGE, 'read');
  }

  // A walk of the entries one at a time, as entries() makes it, for a walker that
  // keeps its own stack rather than nesting generators (tdp_mmu_leaves()).

  /** Starts a walk (KASAN's check of the page); whether it records its reads. */
  walk_start(): boolean {
    const recording = this.run !== null && this.run.recordingReads;
    this.kasan(false);
    return recording;
  }

  /** Whether a recording walk may record its reads of this table as one range when
   * it leaves it: nothing keeps them but the invariants' watch (Run.footprinting). */
  walk_merges(): boolean {
    return this.run !== null && !this.run.footprinting;
  }

  /** The first stored index at or after `index`, or Infinity (not recorded). */
  walk_next(index: number): number {
    return this.first_at(index);
  }

  /** The entry at a stored index (not recorded). */
  walk_entry(index: number): u64 {
    return this.at(index)!;
  }

  /** Records a read of entries [lo, hi). */
  walk_read(lo: number, hi: number): void {
    this.touch(lo, hi, 'read');
  }

  /** The entry stored at `index` (a leaf populate() left to make, made now), or
   * undefined. */
  private at(index: number): u64 | undefined {
    const v = this.spt[index];
    if (v !== undefined || this.lazy === null || (this.bits[index >> 5]! & (1 << (index & 31))) === 0) return v;
    return (this.spt[index] = make_small_spte(this.lazy, this.lazy_level, index));
  }

  /** The first stored index at or after `index`, or Infinity. */
  private first_at(index: number): number {
    if (index < 0) index = 0;
    if (index >= SPTE_ENT_PER_PAGE) return Infinity;
    let w = index >> 5;
    let m = this.bits[w]! & (-1 << (index & 31));
    while (m === 0) {
      if (++w === this.bits.length) return Infinity;
      m = this.bits[w]!;
    }
    return (w << 5) + (31 - Math.clz32(m & -m));
  }
}

// is_mirror_sp() in arch/x86/kvm/mmu/mmu_internal.h
export function is_mirror_sp(sp: kvm_mmu_page): boolean {
  return sp.role.is_mirror;
}

// is_mirror_sptep() in arch/x86/kvm/mmu/tdp_mmu.h
export function is_mirror_sptep(sptep: tdp_ptep_t): boolean {
  return sptep.sp.role.is_mirror;
}

/** GFN an entry maps. */
export function sptep_gfn(sptep: tdp_ptep_t): gfn_t {
  return sptep.sp.gfn + sptep.index * sptep.sp.entry_pages;
}
