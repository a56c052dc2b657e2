// The TDX module's side of a TD: the Secure EPT, the TLB-tracking epoch, the
// vCPUs' entry epochs and the content of private pages; and the SEAMCALLs KVM
// issues on them (arch/x86/virt/vmx/tdx/tdx.c wrappers; semantics from Intel's TDX
// module: BLOCK, TRACK, DEMOTE, REMOVE, AUG, SEPT.ADD; and the guest's ACCEPT).
// Every SEAMCALL is one scheduling point; it checks its preconditions and returns
// the module's status, as the module does, rather than throwing.
import type { Run } from '../engine/index.ts';
import { interval_map } from './interval_map.ts';
import { fmt_gfn, gfn_round_for_level, KVM_PAGES_PER_HPAGE, level_name, PG_LEVEL_4K, SPTE_ENT_PER_PAGE, type gfn_t, type kvm_pfn_t } from './levels.ts';
import { tracepoint } from './tracepoint.ts';
import { TDX_SUCCESS, type tdx_status } from './tdx_errno.ts';
import { pamt_region, type tdx_pamt } from './tdx_module_pamt.ts';
import { kvm_footprint } from './footprint.ts';

export { TDX_SUCCESS, type tdx_status } from './tdx_errno.ts';
export { pamt_region, tdx_pamt, tdh_phymem_pamt_add, tdh_phymem_pamt_remove } from './tdx_module_pamt.ts';

/** A leaf of the Secure EPT. */
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

/** Per-vCPU state the module keeps (TDVPS): in the guest or not, and the epoch it entered at. */
export interface tdx_vp {
  in_guest: boolean;
  epoch: number;
}

/** Why the S-EPT changed; for the invariants' dirty logs. */
export interface sept_change {
  readonly gfn: gfn_t;
  readonly pages: number;
  readonly what: 'aug' | 'block' | 'demote' | 'remove' | 'accept' | 'write';
}

/** A SEAMCALL and its outcome, for the TDX invariant. */
export interface seamcall_event {
  readonly leaf: string;
  readonly gfn: gfn_t;
  readonly level: number;
  readonly status: tdx_status;
}

// struct tdx_td in arch/x86/include/asm/tdx.h, plus the module's state for the TD.
export class tdx_td {
  /** Leaves by level then base GFN (index 0 unused). Sparse. */
  readonly sept: Array<Map<gfn_t, sept_entry>> = [];
  /** Non-leaf S-EPT entries (tables added by TDH.MEM.SEPT.ADD or DEMOTE), by level then base GFN. */
  readonly sept_tables: Array<Map<gfn_t, kvm_pfn_t>> = [];
  /** TLB-tracking epoch, bumped by TDH.MEM.TRACK. */
  epoch = 0;
  readonly vp = new Map<number, tdx_vp>();
  /** Content version of private pages, by PFN: what the guest last wrote or accepted. */
  readonly content = new interval_map<number>();
  content_seq = 0;

  readonly tp_sept_changed = new tracepoint<sept_change>('tdx_sept_changed');
  readonly tp_seamcall = new tracepoint<seamcall_event>('tdx_seamcall');

  constructor(
    readonly run: Run,
    readonly root_level: number,
    /** The module's PAMT, shared by every TD on the host. */
    readonly pamt: tdx_pamt,
  ) {
    for (let l = 0; l <= root_level; l++) {
      this.sept.push(new Map());
      this.sept_tables.push(new Map());
    }
  }

  /** The leaf mapping `gfn`, if any (model-internal lookup, not a SEAMCALL). */
  lookup(gfn: gfn_t): sept_entry | null {
    for (let l = PG_LEVEL_4K; l < this.root_level; l++) {
      const e = this.sept[l]!.get(gfn_round_for_level(gfn, l));
      if (e !== undefined) return e;
    }
    return null;
  }

  /** The leaf at exactly (gfn, level). */
  leaf_at(gfn: gfn_t, level: number): sept_entry | null {
    const e = this.sept[level]?.get(gfn);
    return e === undefined ? null : e;
  }

  /** True when the non-leaf entries from the root down to `level + 1` exist. */
  walk_to(gfn: gfn_t, level: number): boolean {
    for (let l = this.root_level; l > level; l--) {
      if (!this.sept_tables[l]!.has(gfn_round_for_level(gfn, l))) return false;
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

  /** Leaves inside [lo, hi), found by walking the S-EPT tables from the root. */
  *leaves_in(lo: gfn_t, hi: gfn_t): IterableIterator<sept_entry> {
    yield* this.leaves_below(this.root_level, 0, lo, hi);
  }

  private *leaves_below(level: number, base: gfn_t, lo: gfn_t, hi: gfn_t): IterableIterator<sept_entry> {
    const n = KVM_PAGES_PER_HPAGE(level);
    const from = Math.max(base, gfn_round_for_level(lo, level));
    const to = Math.min(base + n * SPTE_ENT_PER_PAGE, hi);
    for (let g = from; g < to; g += n) {
      const leaf = this.sept[level]?.get(g);
      if (leaf !== undefined) yield leaf;
      else if (level > PG_LEVEL_4K && this.sept_tables[level]!.has(g)) yield* this.leaves_below(level - 1, g, lo, hi);
    }
  }

  set_leaf(e: sept_entry): void {
    this.sept[e.level]!.set(e.gfn, e);
  }

  delete_leaf(e: sept_entry): void {
    this.sept[e.level]!.delete(e.gfn);
  }

  changed(gfn: gfn_t, pages: number, what: sept_change['what']): void {
    this.tp_sept_changed.trace({ gfn, pages, what });
  }

  /** Number of S-EPT leaves, all levels. */
  get nr_leaves(): number {
    let n = 0;
    for (const m of this.sept) n += m.size;
    return n;
  }
}

function sept_obj(gfn: gfn_t, level: number): string {
  return `S-EPT[${fmt_gfn(gfn)} ${level_name(level)}]`;
}

async function seamcall(td: tdx_td, leaf: string, gfn: gfn_t, level: number): Promise<void> {
  await td.run.point({
    kind: leaf,
    obj: sept_obj(gfn, level),
    footprint: kvm_footprint({ key: 'sept', access: 'write', range: [gfn, gfn + KVM_PAGES_PER_HPAGE(level)] }),
  });
}

function done(td: tdx_td, leaf: string, gfn: gfn_t, level: number, status: tdx_status): tdx_status {
  if (status !== TDX_SUCCESS) td.run.result(status);
  if (td.run.tracing) td.run.event(`SEAMCALL ${leaf}(${sept_obj(gfn, level)}) = ${status}`);
  td.tp_seamcall.trace({ leaf, gfn, level, status });
  return status;
}

// tdh_mem_sept_add() in arch/x86/virt/vmx/tdx/tdx.c: link a new S-EPT table below
// the entry at (gfn, level).
export async function tdh_mem_sept_add(td: tdx_td, gfn: gfn_t, level: number, page: kvm_pfn_t): Promise<tdx_status> {
  gfn = gfn_round_for_level(gfn, level);
  await seamcall(td, 'tdh_mem_sept_add', gfn, level);
  if (!td.walk_to(gfn, level)) return done(td, 'tdh_mem_sept_add', gfn, level, 'TDX_EPT_WALK_FAILED');
  if (td.sept_tables[level]!.has(gfn) || td.leaf_at(gfn, level) !== null) {
    return done(td, 'tdh_mem_sept_add', gfn, level, 'TDX_EPT_ENTRY_STATE_INCORRECT');
  }
  td.sept_tables[level]!.set(gfn, page);
  return done(td, 'tdh_mem_sept_add', gfn, level, TDX_SUCCESS);
}

// tdh_mem_page_aug() in arch/x86/virt/vmx/tdx/tdx.c: add a PENDING private page.
export async function tdh_mem_page_aug(td: tdx_td, gfn: gfn_t, level: number, pfn: kvm_pfn_t): Promise<tdx_status> {
  await seamcall(td, 'tdh_mem_page_aug', gfn, level);
  if (!td.walk_to(gfn, level)) return done(td, 'tdh_mem_page_aug', gfn, level, 'TDX_EPT_WALK_FAILED');
  if (td.leaf_at(gfn, level) !== null || td.sept_tables[level]!.has(gfn)) {
    return done(td, 'tdh_mem_page_aug', gfn, level, 'TDX_EPT_ENTRY_STATE_INCORRECT');
  }
  td.set_leaf(new sept_entry(gfn, level, pfn));
  td.changed(gfn, KVM_PAGES_PER_HPAGE(level), 'aug');
  return done(td, 'tdh_mem_page_aug', gfn, level, TDX_SUCCESS);
}

// tdh_mem_range_block() in arch/x86/virt/vmx/tdx/tdx.c
export async function tdh_mem_range_block(td: tdx_td, gfn: gfn_t, level: number): Promise<tdx_status> {
  await seamcall(td, 'tdh_mem_range_block', gfn, level);
  const e = td.leaf_at(gfn, level);
  if (e === null) return done(td, 'tdh_mem_range_block', gfn, level, 'TDX_EPT_WALK_FAILED');
  if (e.blocked) return done(td, 'tdh_mem_range_block', gfn, level, 'TDX_EPT_ENTRY_STATE_INCORRECT');
  e.blocked = true;
  e.blocked_epoch = td.epoch;
  td.changed(gfn, e.pages, 'block');
  return done(td, 'tdh_mem_range_block', gfn, level, TDX_SUCCESS);
}

// tdh_mem_track() in arch/x86/virt/vmx/tdx/tdx.c
export async function tdh_mem_track(td: tdx_td): Promise<tdx_status> {
  await td.run.point({ kind: 'tdh_mem_track', obj: 'TD epoch', footprint: kvm_footprint({ key: 'td-epoch', access: 'write' }) });
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
  await seamcall(td, 'tdh_mem_page_demote', gfn, level);
  const e = td.leaf_at(gfn, level);
  const pre = level === PG_LEVEL_4K ? 'TDX_EPT_WALK_FAILED' : blocked_and_tracked(td, e);
  if (pre !== TDX_SUCCESS) return done(td, 'tdh_mem_page_demote', gfn, level, pre);
  const huge = e!;
  const pamt = td.pamt;
  if (level - 1 === PG_LEVEL_4K && pamt.dynamic && !pamt.installed.has(pamt_region(huge.pfn))) {
    if (pamt_pages < pamt.entry_pages) return done(td, 'tdh_mem_page_demote', gfn, level, 'TDX_INSUFFICIENT_RESOURCES');
    pamt.install(pamt_region(huge.pfn), gfn);
  }
  td.delete_leaf(huge);
  td.sept_tables[level]!.set(gfn, new_table);
  const n = KVM_PAGES_PER_HPAGE(level - 1);
  for (let i = 0; i < SPTE_ENT_PER_PAGE; i++) {
    const c = new sept_entry(gfn + i * n, level - 1, huge.pfn + i * n);
    c.accepted = huge.accepted;
    td.set_leaf(c);
  }
  td.changed(gfn, huge.pages, 'demote');
  return done(td, 'tdh_mem_page_demote', gfn, level, TDX_SUCCESS);
}

// tdh_mem_page_remove() in arch/x86/virt/vmx/tdx/tdx.c: the page leaves the TD and
// its contents are gone.
export async function tdh_mem_page_remove(td: tdx_td, gfn: gfn_t, level: number): Promise<tdx_status> {
  await seamcall(td, 'tdh_mem_page_remove', gfn, level);
  const e = td.leaf_at(gfn, level);
  const pre = blocked_and_tracked(td, e);
  if (pre !== TDX_SUCCESS) return done(td, 'tdh_mem_page_remove', gfn, level, pre);
  td.delete_leaf(e!);
  td.content.set(e!.pfn, e!.pfn + e!.pages, undefined);
  td.changed(gfn, e!.pages, 'remove');
  return done(td, 'tdh_mem_page_remove', gfn, level, TDX_SUCCESS);
}

/** What TDG.MEM.PAGE.ACCEPT does when it cannot complete in the guest. */
export type accept_result =
  | { readonly status: 'TDX_SUCCESS' | 'TDX_PAGE_ALREADY_ACCEPTED' | 'TDX_PAGE_SIZE_MISMATCH' }
  /** A TD exit to KVM: EPT violation (no usable mapping), or a mapping larger than
   * the accept level (KVM must split to `accept_level`). */
  | { readonly status: 'EXIT_EPT_VIOLATION'; readonly gfn: gfn_t; readonly accept_level: number }
  | { readonly status: 'EXIT_ACCEPT_SIZE_MISMATCH'; readonly gfn: gfn_t; readonly accept_level: number; readonly mapped_level: number };

// tdg_mem_page_accept() in arch/x86/coco/tdx/tdx-shared.c: the guest's TDCALL.
// Accepting a PENDING page zeroes it: its content gets a new version.
export async function tdg_mem_page_accept(td: tdx_td, gfn: gfn_t, level: number): Promise<accept_result> {
  gfn = gfn_round_for_level(gfn, level);
  await seamcall(td, 'tdg_mem_page_accept', gfn, level);
  const e = td.lookup(gfn);
  let r: accept_result;
  if (e === null || e.blocked) r = { status: 'EXIT_EPT_VIOLATION', gfn, accept_level: level };
  else if (e.level > level) r = { status: 'EXIT_ACCEPT_SIZE_MISMATCH', gfn, accept_level: level, mapped_level: e.level };
  else if (e.level < level) r = { status: 'TDX_PAGE_SIZE_MISMATCH' };
  else if (e.accepted) r = { status: 'TDX_PAGE_ALREADY_ACCEPTED' };
  else {
    e.accepted = true;
    td.content.set(e.pfn, e.pfn + e.pages, ++td.content_seq);
    td.changed(e.gfn, e.pages, 'accept');
    r = { status: 'TDX_SUCCESS' };
  }
  if (r.status !== 'TDX_SUCCESS') td.run.result(r.status);
  return r;
}
