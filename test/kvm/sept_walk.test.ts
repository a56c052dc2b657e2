// tdx_td's one walk of the S-EPT tables (walk_next()), which both
// leaves_in() and first_leaf_not_among() take, against a plain recursive walk (the
// two walks it replaced were checked the same way): on TDs built by random
// AUG/DEMOTE/BLOCK/ACCEPT/REMOVE/PROMOTE sequences, the same leaves in the same
// order, the same first unmatched leaf, the same reads recorded, and the same
// leaves DEMOTE left unmade still unmade (first_leaf_not_among() makes none but the
// one it returns).
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { gfn_round_for_level, KVM_PAGES_PER_HPAGE, PG_LEVEL_1G, PG_LEVEL_2M, PG_LEVEL_4K, sept_entry, SPTE_ENT_PER_PAGE, type tdx_td } from '../../src/kvm/index.ts';
import { on_fresh_td, P1G, P2M } from './helpers.ts';

/** The TD's private fields the walks read. */
interface td_inside {
  sept: Array<{ get(g: number): sept_entry | undefined; has(g: number): boolean; lazy(g: number): unknown; chunks: Map<number, unknown[]> }>;
  sept_tables: Array<Map<number, number>>;
  touch(level: number, lo: number, hi: number, access: 'read'): void;
}
const inside = (td: tdx_td): td_inside => td as unknown as td_inside;

/** The leaves in [lo, hi) by a plain recursive walk, as [level, gfn], in order, none
 * made; a table's entries over [lo, hi) recorded as read when the walk enters it. */
function* plain(td: tdx_td, level: number, base: number, lo: number, hi: number): IterableIterator<[number, number]> {
  const t = inside(td);
  const n = KVM_PAGES_PER_HPAGE(level);
  const from = Math.max(base, gfn_round_for_level(lo, level));
  const to = Math.min(base + n * SPTE_ENT_PER_PAGE, hi);
  if (from < to) t.touch(level, from, to, 'read');
  for (let g = from; g < to; g += n) {
    if (t.sept[level]!.has(g)) yield [level, g];
    else if (level > PG_LEVEL_4K && t.sept_tables[level]!.has(g)) yield* plain(td, level - 1, g, lo, hi);
  }
}

/** leaves_in(), plainly: each leaf plain() finds, made. */
function* plain_leaves_in(td: tdx_td, lo: number, hi: number): IterableIterator<sept_entry> {
  for (const [level, g] of plain(td, td.root_level, 0, lo, hi)) yield inside(td).sept[level]!.get(g)!;
}

/** first_leaf_not_among(), plainly: the first leaf plain() finds that no pair names,
 * made (pairs have distinct GFNs, as the caller's mirror leaves do). */
function plain_first_leaf_not_among(td: tdx_td, lo: number, hi: number, gfns: readonly number[], levels: readonly number[], n: number): sept_entry | null {
  const among = new Set(gfns.slice(0, n).map((g, k) => `${levels[k]}:${g}`));
  for (const [level, g] of plain(td, td.root_level, 0, lo, hi)) if (!among.has(`${level}:${g}`)) return inside(td).sept[level]!.get(g)!;
  return null;
}

/** Leaves DEMOTE left unmade, all levels. */
function unmade(td: tdx_td): number {
  let n = 0;
  for (const m of inside(td).sept) for (const c of m.chunks.values()) for (const v of c) if (typeof v === 'symbol') n++;
  return n;
}

type walks = 'plain' | 'new';

/** What a random program on `td` saw, one line per observation, walking the plain way
 * or the new; and counts of what the walks met. */
function program(td: tdx_td, seed: number, how: walks): { seen: string[]; stats: Record<string, number> } {
  const rnd = seedrandom.alea(`sept_walk:${seed}`);
  const int = (n: number) => Math.floor(rnd() * n);
  const t = inside(td);
  const seen: string[] = [];
  const stats: Record<string, number> = { lazy: 0, whole: 0, early: 0, found: 0, none: 0 };
  // The reads a walk records, as a recorded run's step would keep them.
  const run = td.run as unknown as { sink: unknown };
  const reads: string[] = [];
  const recorded = <T>(body: () => T): T => {
    const was = run.sink;
    run.sink = { push: (f: { key: string; access: string; range?: number[] }) => reads.push(`${f.key} ${f.access} ${f.range?.join('..') ?? '*'}`) };
    try {
      return body();
    } finally {
      run.sink = was;
    }
  };
  const show = (e: sept_entry | null) => (e === null ? 'none' : `${e.level}:${e.gfn}->${e.pfn} ${e.state}`);
  let pfn = 0x100000;
  // GFNs in two 1G ranges, a few 2M ranges each, so that operations meet.
  const gfn_at = (level: number) => {
    const g = int(2) * P1G + int(6) * P2M + int(P2M);
    return gfn_round_for_level(g, level);
  };
  const level_of = () => [PG_LEVEL_4K, PG_LEVEL_4K, PG_LEVEL_2M, PG_LEVEL_1G][int(4)]!;
  for (let step = 0; step < 160; step++) {
    switch (int(12)) {
      case 0:
      case 1:
      case 2: {
        // AUG, with the tables above linked.
        const level = level_of();
        const gfn = gfn_at(level);
        for (let l = td.root_level; l > level; l--) {
          const b = gfn_round_for_level(gfn, l);
          if (!t.sept[l]!.has(b) && !t.sept_tables[l]!.has(b)) td.set_table(b, l, pfn++);
        }
        if (!t.sept[level]!.has(gfn) && !t.sept_tables[level]!.has(gfn)) {
          td.set_leaf(new sept_entry(gfn, level, pfn));
          pfn += KVM_PAGES_PER_HPAGE(level);
        }
        break;
      }
      case 3:
      case 4: {
        // DEMOTE a 1G or 2M leaf (it may be one DEMOTE left unmade).
        const level = int(3) === 0 ? PG_LEVEL_1G : PG_LEVEL_2M;
        const e = td.leaf_at(gfn_at(level), level);
        if (e === null) break;
        td.delete_leaf(e);
        td.set_table(e.gfn, level, pfn++);
        td.set_table_leaves(e.gfn, level - 1, e.pfn, e.accepted);
        break;
      }
      case 5: {
        // BLOCK, ACCEPT or REMOVE of the leaf a GFN maps.
        const e = td.lookup(gfn_at(PG_LEVEL_4K));
        if (e === null) break;
        const what = int(3);
        if (what === 0) td.block(e);
        else if (what === 1) td.accept(e);
        else td.delete_leaf(e);
        break;
      }
      case 6: {
        // PROMOTE, its conditions unchecked: the table unlinked, its leaves merged.
        const level = int(2) === 0 ? PG_LEVEL_2M : PG_LEVEL_1G;
        const gfn = gfn_at(level);
        if (!t.sept_tables[level]!.has(gfn)) break;
        const n = KVM_PAGES_PER_HPAGE(level - 1);
        for (let i = 0; i < SPTE_ENT_PER_PAGE; i++) if (t.sept[level - 1]!.has(gfn + i * n)) td.delete_leaf(td.leaf_at(gfn + i * n, level - 1)!);
        td.delete_table(gfn, level);
        td.set_leaf(new sept_entry(gfn, level, pfn));
        pfn += KVM_PAGES_PER_HPAGE(level);
        break;
      }
      default: {
        // A walk over a range: small, within a 1G range, or across both.
        const lo = int(3) === 0 ? int(2 * P1G) : gfn_at(PG_LEVEL_4K);
        const hi = lo + [int(3 * P2M), int(P1G), int(3 * P1G)][int(3)]!;
        const before = unmade(td);
        const want = [...plain(td, td.root_level, 0, lo, hi)].map(([l, g]) => `${l}:${g}`);
        // Leaves not made yet in the range.
        if (want.some((s) => t.sept[Number(s.split(':')[0])]!.lazy(Number(s.split(':')[1])) !== undefined)) stats.lazy!++;
        reads.length = 0;
        if (int(2) === 0) {
          // leaves_in(), taken whole or in part.
          const stop = int(3) === 0 ? int(5) : Infinity;
          const got: string[] = [];
          recorded(() => {
            for (const e of how === 'plain' ? plain_leaves_in(td, lo, hi) : td.leaves_in(lo, hi)) {
              if (got.length >= stop) break;
              got.push(show(e));
            }
          });
          stats[stop < want.length ? 'early' : 'whole']!++;
          seen.push(`leaves_in ${lo}..${hi} stop ${stop}: ${got.join(', ')}`);
        } else {
          // first_leaf_not_among(), given most of the leaves there (all, at times),
          // some at their GFN but another level, and pairs that are no leaf.
          const all = int(3) === 0;
          const pairs: Array<[number, number]> = [];
          for (const s of want) {
            const [level, g] = s.split(':').map(Number) as [number, number];
            if (all || int(8) !== 0) pairs.push([level, g]);
            else if (int(2) === 0) pairs.push([level === PG_LEVEL_4K ? PG_LEVEL_2M : PG_LEVEL_4K, g]);
          }
          for (let x = int(3); x > 0; x--) {
            const g = lo + int(P2M);
            if (!pairs.some((p) => p[1] === g)) pairs.push([level_of(), g]);
          }
          pairs.sort((a, b) => a[1] - b[1]);
          const gfns = pairs.map((p) => p[1]);
          const levels = pairs.map((p) => p[0]);
          const e = recorded(() => (how === 'plain' ? plain_first_leaf_not_among(td, lo, hi, gfns, levels, pairs.length) : td.first_leaf_not_among(lo, hi, gfns, levels, pairs.length)));
          stats[e === null ? 'none' : 'found']!++;
          seen.push(`first_leaf_not_among ${lo}..${hi} [${pairs.join(' ')}]: ${show(e)}`);
        }
        seen.push(`  reads ${reads.join('; ')}`, `  unmade ${before} -> ${unmade(td)}`);
      }
    }
  }
  return { seen, stats };
}

describe("tdx_td's S-EPT walk", () => {
  it('walks as the two walks it replaced did, on TDs built at random', async () => {
    const stats: Record<string, number> = {};
    for (let seed = 1; seed <= 30; seed++) {
      const want = await on_fresh_td((td) => program(td, seed, 'plain'));
      const now = await on_fresh_td((td) => program(td, seed, 'new'));
      expect(now.seen).toEqual(want.seen);
      for (const k of Object.keys(now.stats)) stats[k] = (stats[k] ?? 0) + now.stats[k]!;
    }
    // Walks met leaves not made yet, went to the end or stopped early, found a leaf
    // and found none.
    for (const [k, v] of Object.entries(stats)) expect(v, k).toBeGreaterThan(10);
  });
});
