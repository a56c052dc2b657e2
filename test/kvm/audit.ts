// Audit of the model's footprints: after every step, every piece of model state that
// changed must be covered by a write the step recorded (same key, a range covering
// what changed). A missed write is how partial-order reduction goes unsound, so the
// audit reads the state behind the accessors (private fields), not through them.
import type { Footprint, Run } from '../../src/engine/index.ts';
import { KVM_PAGES_PER_HPAGE, SPTE_ENT_PER_PAGE, type kvm, type kvm_mmu_page, type u64 } from '../../src/kvm/index.ts';
import { per_vm_split_cache } from '../../src/variants/index.ts';

/** One piece of state: the footprint key and range a write of it must name. */
interface piece {
  readonly key: string;
  readonly lo: number;
  readonly hi: number;
  readonly value: string;
}

type snapshot = Map<string, piece>;

// The model's private fields (reads through accessors are recorded as the audit's
// own, which is harmless).
const raw = (o: object): any => o;

/** A table's stored entries, by index, unrecorded (populate() makes its leaves when
 * first looked at: reading its array directly would miss them). */
function stored(sp: kvm_mmu_page): Array<[number, u64]> {
  const out: Array<[number, u64]> = [];
  for (let i = sp.walk_next(0); i < SPTE_ENT_PER_PAGE; i = sp.walk_next(i + 1)) out.push([i, sp.walk_entry(i)]);
  return out;
}

const ids = new WeakMap<object, number>();
let next_id = 0;
function id_of(o: object): number {
  let n = ids.get(o);
  if (n === undefined) ids.set(o, (n = ++next_id));
  return n;
}

function spte_value(spte: u64): string {
  return spte.tag === 'leaf' ? `leaf:${spte.pfn}:${spte.large}` : spte.tag === 'nonleaf' ? `table:${spte.child.name}` : spte.tag;
}

interface run_of<V> {
  readonly lo: number;
  readonly hi: number;
  readonly value: V;
}

/** The value of `runs` at x (runs sorted, disjoint). */
function value_at<V>(runs: readonly run_of<V>[], x: number): V | undefined {
  for (const r of runs) if (r.lo <= x && x < r.hi) return r.value;
  return undefined;
}

/** Runs of an interval_map as pieces: one per stretch between two boundaries of
 * either the old or the new runs, so that what changed is compared point by point. */
function runs_of(out: snapshot, tag: string, key: string, map: object, prev: snapshot | null): void {
  const now = (raw(map).runs as run_of<unknown>[]).map((r) => ({ ...r }));
  out.set(`${tag}|runs`, { key: '', lo: 0, hi: 0, value: JSON.stringify(now) });
  const before: run_of<unknown>[] = prev === null ? [] : JSON.parse(prev.get(`${tag}|runs`)?.value ?? '[]');
  const cuts = [...new Set([...now, ...before].flatMap((r) => [r.lo, r.hi]))].sort((a, b) => a - b);
  for (let i = 0; i + 1 < cuts.length; i++) {
    const v = value_at(now, cuts[i]!);
    if (v !== undefined || value_at(before, cuts[i]!) !== undefined) {
      out.set(`${tag}|${cuts[i]}|${cuts[i + 1]}`, { key, lo: cuts[i]!, hi: cuts[i + 1]!, value: v === undefined ? '-' : String(v) });
    }
  }
}

export class model_audit {
  /** Every table seen so far (unlinked ones stay: RCU callbacks still touch them). */
  private readonly tables = new Set<kvm_mmu_page>();
  private prev: snapshot | undefined;
  /** Tables in `prev`: a table seen for the first time (just linked) is a baseline,
   * its entries having been written while it was still unlinked. */
  private prev_tables = new Set<string>();
  readonly problems: string[] = [];

  constructor(private readonly vm: kvm) {
    this.prev = this.snapshot();
    this.prev_tables = new Set([...this.tables].map((t) => t.name));
  }

  private prev_or_null(): snapshot | null {
    return this.prev ?? null;
  }

  private walk(sp: kvm_mmu_page): void {
    this.tables.add(sp);
    for (const [, spte] of stored(sp)) if (spte.tag === 'nonleaf') this.walk(spte.child);
  }

  snapshot(): snapshot {
    const vm = this.vm;
    const out: snapshot = new Map();
    for (const root of vm.arch.tdp_mmu_roots) this.walk(root);
    for (const sp of this.tables) {
      const key = `spte:${sp.role.is_mirror ? 'm' : 'd'}${sp.role.level}`;
      const n = sp.entry_pages;
      for (const [i, spte] of stored(sp)) {
        out.set(`${sp.name}#${i}`, { key, lo: sp.gfn + i * n, hi: sp.gfn + (i + 1) * n, value: spte_value(spte) });
      }
      if (raw(sp).is_removed) out.set(`${sp.name}#removed`, { key, lo: sp.gfn, hi: sp.gfn + SPTE_ENT_PER_PAGE * n, value: 'removed' });
      out.set(`${sp.name}#pamt`, { key: `sp:${sp.name}:pamt`, lo: -Infinity, hi: Infinity, value: String(sp.external_spt_pamt) });
      // The table's memory (KASAN's shadow): allocated or freed, by the object's key.
      for (const obj of [sp.header, sp.spt_page, sp.external_spt_page]) {
        if (obj !== null) out.set(`${sp.name}#mem|${obj.key}`, { key: obj.key, lo: -Infinity, hi: Infinity, value: obj.state });
      }
    }
    const td = vm.tdx.td;
    (raw(td).sept as Array<{ values(): Iterable<{ gfn: number; level: number; pfn: number; accepted: boolean; blocked: boolean; blocked_epoch: number }> }>).forEach((m, l) => {
      for (const e of m.values()) {
        out.set(`sept|${l}|${e.gfn}`, { key: `sept:${l}`, lo: e.gfn, hi: e.gfn + KVM_PAGES_PER_HPAGE(l), value: `${id_of(e)}:${e.pfn}:${e.accepted}:${e.blocked}:${e.blocked_epoch}` });
      }
    });
    (raw(td).sept_tables as Array<Map<number, number>>).forEach((m, l) => {
      for (const [gfn, pfn] of m) out.set(`septT|${l}|${gfn}`, { key: `sept:${l}`, lo: gfn, hi: gfn + KVM_PAGES_PER_HPAGE(l), value: String(pfn) });
    });
    (raw(td).sept_tables_blocked as Array<Map<number, number>>).forEach((m, l) => {
      for (const [gfn, epoch] of m) out.set(`septB|${l}|${gfn}`, { key: `sept:${l}`, lo: gfn, hi: gfn + KVM_PAGES_PER_HPAGE(l), value: String(epoch) });
    });
    const whole = (key: string, value: unknown): piece => ({ key, lo: -Infinity, hi: Infinity, value: String(value) });
    out.set('td:epoch', whole('td:epoch', td.epoch));
    out.set('td:wait_for_sept_zap', whole('td:wait_for_sept_zap', td.wait_for_sept_zap));
    for (const [id, vp] of td.vp) out.set(`td:vp${id}`, whole(`td:vp${id}`, `${vp.in_guest}:${vp.epoch}`));
    runs_of(out, 'content', 'td:content', td.content, this.prev_or_null());
    runs_of(out, 'attr', 'attr', vm.mem_attr_array, this.prev_or_null());
    runs_of(out, 'accepted', 'guest:accepted', vm.guest.accepted, this.prev_or_null());
    for (const r of raw(td.pamt).installed as Set<number>) out.set(`pamt|${r}`, { key: 'pamt', lo: r, hi: r + 1, value: 'installed' });
    for (const [r, n] of vm.host.refcounts()) out.set(`refcount|${r}`, whole(vm.host.refcount_key(r), n));
    out.set('host:alloc', whole('host:alloc', raw(vm.host).next_pfn));
    const gmem = vm.memslot.gmem.file;
    out.set('memslots', whole('memslots', raw(vm.memslots).slots.map((m: { id: number; base_gfn: number; npages: number; flags: number }) => `${m.id}:${m.base_gfn}:${m.npages}:${m.flags}`).join(',')));
    out.set('gmem:bindings', whole('gmem:bindings', (raw(gmem).bindings_ as Array<{ id: number }>).map((m) => m.id).join(',')));
    for (const f of raw(gmem).folios.values() as Iterable<{ index: number; order: number; pfn: number }>) {
      out.set(`folio|${f.index}`, { key: 'gmem:folios', lo: f.index, hi: f.index + 2 ** f.order, value: `${f.order}:${f.pfn}` });
    }
    for (const v of vm.vcpus) {
      for (const [k, e] of v.tlb) {
        out.set(`tlb|${v.name}|${k}`, { key: e.is_private ? v.tlb_key.private.key : v.tlb_key.shared.key, lo: e.gfn, hi: e.gfn + KVM_PAGES_PER_HPAGE(e.level), value: String(id_of(e)) });
      }
      out.set(`cache|${v.pamt_cache.name}`, whole(`pamt_cache:${v.pamt_cache.name}`, v.pamt_cache.cnt));
    }
    for (const c of new Set([vm.tdx.pamt_cache, per_vm_split_cache(vm)])) out.set(`cache|${c.name}`, whole(`pamt_cache:${c.name}`, c.cnt));
    out.set('mmu_invalidate', whole('mmu_invalidate', [vm.mmu_invalidate_in_progress, vm.mmu_invalidate_seq, vm.mmu_invalidate_range_start, vm.mmu_invalidate_range_end].join(':')));
    out.set('roots', whole('roots', vm.arch.tdp_mmu_roots.map((r) => `${r.name}:${r.role.invalid}`).join(',')));
    out.set('vm_bugged', whole('vm_bugged', vm.vm_bugged));
    out.set('gen', whole('gen', raw(vm.model).gen));
    for (const op of vm.model.inflight) if (op.destroys) out.set(`destroying|${id_of(op)}`, { key: 'destroying', lo: op.start, hi: op.end, value: op.name });
    return out;
  }

  /** Checks the step just taken (`fp`, what it recorded) against what changed. */
  check(step: number, fp: readonly Footprint[]): string | null {
    const now = this.snapshot();
    const missed: string[] = [];
    const covered = (p: piece): boolean => {
      // Bumps of `gen` are recorded as reads (see model.ts): any access names it.
      const ranges = fp.filter((f) => f.key === p.key && (f.access !== 'read' || p.key === 'gen')).map((f) => f.range ?? [-Infinity, Infinity]);
      let at = p.lo;
      for (let progress = true; at < p.hi && progress; ) {
        progress = false;
        for (const [a, b] of ranges) if (a <= at && b > at) (at = b), (progress = true);
      }
      return at >= p.hi;
    };
    const fresh = (id: string): boolean => {
      const hash = id.indexOf('#');
      return hash > 0 && !this.prev_tables.has(id.slice(0, hash));
    };
    const prev = this.prev!;
    const split = (id: string) => {
      // A stretch of an interval map is compared with the old value at its start.
      const m = /^(content|attr|accepted)\|(-?\d+)\|/.exec(id);
      if (m === null) return prev.get(id);
      const before: run_of<unknown>[] = JSON.parse(prev.get(`${m[1]}|runs`)?.value ?? '[]');
      const v = value_at(before, Number(m[2]));
      return { value: v === undefined ? '-' : String(v) };
    };
    for (const [id, p] of now) {
      if (id.endsWith('|runs')) continue;
      const old = split(id);
      if (old?.value !== p.value && !fresh(id) && !covered(p)) missed.push(`${id} ${old?.value ?? '-'} -> ${p.value}`);
    }
    for (const [id, p] of prev) if (!now.has(id) && !id.endsWith('|runs') && !/^(content|attr|accepted)\|/.test(id) && !covered(p)) missed.push(`${id} ${p.value} -> -`);
    this.prev = now;
    this.prev_tables = new Set([...this.tables].map((t) => t.name));
    if (missed.length === 0) return null;
    const msg = `step ${step} changed state it did not record a write of: ${missed.slice(0, 6).join('; ')}`;
    this.problems.push(msg);
    return msg;
  }
}

/** Audits every step of `run` (which must record footprints) for the VM `vm`: call
 * after the scenario's set-up, so the fixtures are the baseline. */
export function install_model_audit(run: Run, vm: kvm): model_audit {
  const audit = new model_audit(vm);
  run.invariant('audit', () => (run.footprints === null || run.step === 0 ? null : audit.check(run.step - 1, run.footprints[run.step - 1]!)));
  return audit;
}
