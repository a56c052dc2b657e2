// The entries of one page-table level by base GFN, kept in chunks of the 512 entries
// one table holds: filling a table (DEMOTE's 512 leaves) is one Map insertion and
// 512 array stores rather than 512 Map insertions, which cost a split most of its
// allocation. A table filled by fill_lazy() holds a descriptor and makes an entry
// only when it is first looked at. Model bookkeeping, no kernel counterpart.
import { SPTE_ENT_PER_PAGE } from '../arch/x86/include/asm/kvm_host.ts';
import { empty_map, is_empty_map } from './kernel.ts';

/** A slot of a table fill_lazy() filled whose entry is not made yet. */
const PENDING: unique symbol = Symbol('pending');
type slot<T> = T | undefined | typeof PENDING;
/** A chunk fill_lazy() leaves, copied (a copy is a block move; filling a new array
 * stores slot by slot, about three times as long). */
const ALL_PENDING: ReadonlyArray<typeof PENDING> = new Array<typeof PENDING>(SPTE_ENT_PER_PAGE).fill(PENDING);

export class level_map<T, D = never> {
  /** run_end() steps through PENDING slots one at a time, as the plain method
   * (tests compare the two ways). */
  static stepwise = false;
  /** Each map is made at construction, as the plain method; else a map a TD never
   * writes (most levels take no lazy fill, most TDs no table) is shared empty, and
   * made on first write (test/kvm/lazy_maps.test.ts compares the two ways). */
  static eager_maps = false;
  /** Chunks by the first GFN of the span of 512 entries they hold. */
  private readonly chunks = new Map<number, Array<slot<T>>>();
  /** The descriptor of each chunk fill_lazy() filled last: what its PENDING slots make. */
  private pending: Map<number, D> = level_map.eager_maps ? new Map() : empty_map();
  /** Of each chunk fill_lazy() filled, the slots no longer PENDING (made, set or
   * deleted since), in no order: run_end() steps over the PENDING slots between them
   * at once. Each slot leaves PENDING once, so a list holds at most 512. */
  private settled: Map<number, number[]> = level_map.eager_maps ? new Map() : empty_map();
  /** GFNs one chunk spans. */
  private readonly span: number;
  private count = 0;

  constructor(
    /** GFNs one entry maps (KVM_PAGES_PER_HPAGE() of the level). */
    private readonly pages: number,
    /** The entry `i` of a chunk filled lazily with descriptor `d` (fill_lazy()). */
    private readonly make?: (d: D, i: number) => T,
  ) {
    this.span = pages * SPTE_ENT_PER_PAGE;
  }

  /** Entries stored. */
  get size(): number {
    return this.count;
  }

  get(gfn: number): T | undefined {
    const base = Math.floor(gfn / this.span) * this.span;
    const chunk = this.chunks.get(base);
    if (chunk === undefined) return undefined;
    const i = (gfn - base) / this.pages;
    const v = chunk[i];
    return v === PENDING ? this.made(chunk, base, i) : v;
  }

  /** Whether an entry is stored at `gfn` (made or not): get() would find one. */
  has(gfn: number): boolean {
    const base = Math.floor(gfn / this.span) * this.span;
    const chunk = this.chunks.get(base);
    return chunk !== undefined && chunk[(gfn - base) / this.pages] !== undefined;
  }

  /** The descriptor fill_lazy() gave the entry at `gfn` when that entry is not made
   * yet (get() would make it from it), else undefined: a reader that needs only what
   * the descriptor says of it need not make it. */
  lazy(gfn: number): D | undefined {
    const base = Math.floor(gfn / this.span) * this.span;
    const chunk = this.chunks.get(base);
    if (chunk === undefined || chunk[(gfn - base) / this.pages] !== PENDING) return undefined;
    return this.pending.get(base);
  }

  /** Makes and keeps the entry of the PENDING slot `i` (so it has one identity). */
  private made(chunk: Array<slot<T>>, base: number, i: number): T {
    const v = this.make!(this.pending.get(base)!, i);
    chunk[i] = v;
    this.settled.get(base)!.push(i);
    return v;
  }

  set(gfn: number, v: T): void {
    const base = Math.floor(gfn / this.span) * this.span;
    let chunk = this.chunks.get(base);
    if (chunk === undefined) this.chunks.set(base, (chunk = []));
    const i = (gfn - base) / this.pages;
    const old = chunk[i];
    if (old === undefined) this.count++;
    else if (old === PENDING) this.settled.get(base)!.push(i);
    chunk[i] = v;
  }

  /** Sets the 512 entries of the chunk that starts at `base` (a multiple of the
   * span) to make(i), calling `replaced` on each entry it overwrites: one table's
   * entries at once. */
  fill(base: number, make: (i: number) => T, replaced: (old: T) => void): void {
    if (base % this.span !== 0) throw new Error(`level_map.fill: ${base} does not start a table`);
    let chunk = this.chunks.get(base);
    // Sized once: grown store by store, the array would be copied at each growth.
    if (chunk === undefined) this.chunks.set(base, (chunk = new Array<slot<T>>(SPTE_ENT_PER_PAGE)));
    for (let i = 0; i < SPTE_ENT_PER_PAGE; i++) {
      const old = chunk[i];
      if (old === undefined) this.count++;
      else replaced(old === PENDING ? this.made(chunk, base, i) : old);
      chunk[i] = make(i);
    }
    // No slot is PENDING any more.
    this.pending.delete(base);
    this.settled.delete(base);
  }

  /** fill(base, (i) => make(d, i), ...), the entries made when first looked at, when
   * the chunk that starts at `base` holds no entry: it takes the descriptor `d` and 512
   * PENDING slots, and true is returned. False, and nothing done, when it holds
   * entries (the caller then takes fill(), whose `replaced` sees each). */
  fill_lazy(base: number, d: D): boolean {
    if (base % this.span !== 0) throw new Error(`level_map.fill_lazy: ${base} does not start a table`);
    const chunk = this.chunks.get(base);
    if (chunk !== undefined && chunk.some((v) => v !== undefined)) return false;
    this.chunks.set(base, ALL_PENDING.slice() as Array<slot<T>>);
    if (is_empty_map(this.pending)) {
      this.pending = new Map();
      this.settled = new Map();
    }
    this.pending.set(base, d);
    this.settled.set(base, []);
    this.count += SPTE_ENT_PER_PAGE;
    return true;
  }

  /** The first GFN of [gfn, hi), stepping one entry at a time from `gfn` (which
   * starts an entry), whose entry is missing or fails `ok`; `gfn` itself when it is
   * not below `hi`, else `hi` when there is none: what get() on each GFN in turn would
   * find, without a Map lookup per entry. Entries not made yet are judged by
   * `ok_pending(d)`, asked once per chunk, which must answer what `ok` would of
   * every entry make(d, i) at its GFN; without it they are made. */
  run_end(gfn: number, hi: number, ok: (v: T, gfn: number) => boolean, ok_pending?: (d: D) => boolean): number {
    let g = gfn;
    while (g < hi) {
      const base = Math.floor(g / this.span) * this.span;
      const chunk = this.chunks.get(base);
      if (chunk === undefined) return g;
      const end = Math.min(hi, base + this.span);
      // ok_pending() of the chunk's descriptor, once asked.
      let pending_ok: boolean | undefined;
      for (let i = (g - base) / this.pages; g < end; g += this.pages, i++) {
        const v = chunk[i];
        if (v === undefined) return g;
        if (v === PENDING) {
          if (ok_pending === undefined) {
            if (!ok(this.made(chunk, base, i), g)) return g;
          } else if (!(pending_ok ??= ok_pending(this.pending.get(base)!))) return g;
          else if (!level_map.stepwise) {
            // Every slot from here to the next settled one is PENDING, and ok: on to
            // the last of them (the loop's step then takes the settled one).
            let next = SPTE_ENT_PER_PAGE;
            for (const j of this.settled.get(base)!) if (j > i && j < next) next = j;
            const last = Math.min(next, Math.ceil((end - base) / this.pages)) - 1;
            g += (last - i) * this.pages;
            i = last;
          }
        } else if (!ok(v, g)) return g;
      }
    }
    return g;
  }

  /** The entries stored, in no particular order (for tests and audits); makes those
   * not made yet. */
  *values(): IterableIterator<T> {
    for (const [base, chunk] of this.chunks) {
      for (let i = 0; i < chunk.length; i++) {
        const v = chunk[i];
        if (v === PENDING) yield this.made(chunk, base, i);
        else if (v !== undefined) yield v;
      }
    }
  }

  delete(gfn: number): void {
    const base = Math.floor(gfn / this.span) * this.span;
    const chunk = this.chunks.get(base);
    const i = (gfn - base) / this.pages;
    if (chunk === undefined || chunk[i] === undefined) return;
    if (chunk[i] === PENDING) this.settled.get(base)!.push(i);
    chunk[i] = undefined;
    this.count--;
  }
}
