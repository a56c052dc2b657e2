// The entries of one page-table level by base GFN, kept in chunks of the 512 entries
// one table holds: filling a table (DEMOTE's 512 leaves) is one Map insertion and
// 512 array stores rather than 512 Map insertions, which cost a split most of its
// allocation. Model bookkeeping, no kernel counterpart.
import { SPTE_ENT_PER_PAGE } from '../arch/x86/include/asm/kvm_host.ts';

export class level_map<T> {
  /** Chunks by the first GFN of the span of 512 entries they hold. */
  private readonly chunks = new Map<number, (T | undefined)[]>();
  /** GFNs one chunk spans. */
  private readonly span: number;
  private count = 0;

  constructor(
    /** GFNs one entry maps (KVM_PAGES_PER_HPAGE() of the level). */
    private readonly pages: number,
  ) {
    this.span = pages * SPTE_ENT_PER_PAGE;
  }

  /** Entries stored. */
  get size(): number {
    return this.count;
  }

  get(gfn: number): T | undefined {
    const base = Math.floor(gfn / this.span) * this.span;
    return this.chunks.get(base)?.[(gfn - base) / this.pages];
  }

  set(gfn: number, v: T): void {
    const base = Math.floor(gfn / this.span) * this.span;
    let chunk = this.chunks.get(base);
    if (chunk === undefined) this.chunks.set(base, (chunk = []));
    const i = (gfn - base) / this.pages;
    if (chunk[i] === undefined) this.count++;
    chunk[i] = v;
  }

  /** Sets the 512 entries of the chunk that starts at `base` (a multiple of the
   * span) to make(i), calling `replaced` on each entry it overwrites: one table's
   * entries at once. */
  fill(base: number, make: (i: number) => T, replaced: (old: T) => void): void {
    if (base % this.span !== 0) throw new Error(`level_map.fill: ${base} does not start a table`);
    let chunk = this.chunks.get(base);
    // Sized once: grown store by store, the array would be copied at each growth.
    if (chunk === undefined) this.chunks.set(base, (chunk = new Array<T | undefined>(SPTE_ENT_PER_PAGE)));
    for (let i = 0; i < SPTE_ENT_PER_PAGE; i++) {
      const old = chunk[i];
      if (old === undefined) this.count++;
      else replaced(old);
      chunk[i] = make(i);
    }
  }

  /** The first GFN of [gfn, hi), stepping one entry at a time from `gfn` (which
   * starts an entry), whose entry is missing or fails `ok`; `gfn` itself when it is
   * not below `hi`, else `hi` when there is none: what get() on each GFN in turn would
   * find, without a Map lookup per entry. */
  run_end(gfn: number, hi: number, ok: (v: T, gfn: number) => boolean): number {
    let g = gfn;
    while (g < hi) {
      const base = Math.floor(g / this.span) * this.span;
      const chunk = this.chunks.get(base);
      if (chunk === undefined) return g;
      const end = Math.min(hi, base + this.span);
      for (let i = (g - base) / this.pages; g < end; g += this.pages, i++) {
        const v = chunk[i];
        if (v === undefined || !ok(v, g)) return g;
      }
    }
    return g;
  }

  /** The entries stored, in no particular order (for tests and audits). */
  *values(): IterableIterator<T> {
    for (const chunk of this.chunks.values()) for (const v of chunk) if (v !== undefined) yield v;
  }

  delete(gfn: number): void {
    const base = Math.floor(gfn / this.span) * this.span;
    const chunk = this.chunks.get(base);
    const i = (gfn - base) / this.pages;
    if (chunk === undefined || chunk[i] === undefined) return;
    chunk[i] = undefined;
    this.count--;
  }
}
