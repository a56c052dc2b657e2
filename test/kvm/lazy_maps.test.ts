// A TD's per-level maps made on first write (level_map.eager_maps off: a table map,
// a blocked-table map, a level_map's lazy-fill bookkeeping, each a shared empty map
// until written) against the plain method (all made at construction): the same
// random program of table adds, deletes, BLOCKs and UNBLOCKs, lazy DEMOTE fills at
// 4K and 2M, leaf writes and reads, run on a fresh TD each way, must see the same
// tables, blocked epochs, walks and leaves. The lazy way runs twice in a row, so a
// write that reached a shared empty map shows in the second TD.
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { level_map } from '../../src/kvm/model/level_map.ts';
import { PG_LEVEL_2M, PG_LEVEL_4K, sept_entry, type tdx_td } from '../../src/kvm/index.ts';
import { on_fresh_td, P1G, P2M } from './helpers.ts';

/** One random program on `td`; what it saw, one line per observation. */
function program(td: tdx_td, seed: number): string[] {
  const rng = seedrandom.alea(`lazy_maps:${seed}`);
  const rand = (n: number): number => Math.floor(rng() * n);
  const show = (e: sept_entry | null): string => (e === null ? 'none' : `${e.gfn}/${e.level}->${e.pfn} ${e.state}:${e.blocked_epoch}`);
  const seen: string[] = [];
  // A few 1G regions, so tables at 2M and 1G land on a handful of bases.
  const span = 3 * P1G;
  const table_at = (): [number, number] => {
    const level = PG_LEVEL_2M + rand(2);
    const n = level === PG_LEVEL_2M ? P2M : P1G;
    return [Math.floor(rand(span) / n) * n, level];
  };
  for (let step = 0; step < 300; step++) {
    const g = rand(span);
    switch (rand(12)) {
      case 0:
      case 1: {
        const [base, level] = table_at();
        td.set_table(base, level, 0x300000 + rand(1000));
        break;
      }
      case 2: {
        const [base, level] = table_at();
        td.delete_table(base, level);
        break;
      }
      case 3: {
        const [base, level] = table_at();
        td.block_table(base, level, rand(3) !== 0);
        if (rand(3) === 0) td.epoch = td.epoch + 1;
        break;
      }
      case 4: {
        const [base, level] = table_at();
        seen.push(`table ${base}/${level}: ${td.has_table(base, level)} ${td.table_blocked_epoch(base, level)}`);
        break;
      }
      case 5:
        seen.push(`walk ${g}: ${td.walk_to(g, PG_LEVEL_4K)} ${td.walk_to(g, PG_LEVEL_2M)} ${td.blocked_above(g, PG_LEVEL_4K)}`);
        break;
      case 6: {
        // A lazy DEMOTE fill: 512 4K leaves of a 2M, or 512 2M leaves of a 1G.
        const level = rand(3) === 0 ? PG_LEVEL_2M : PG_LEVEL_4K;
        const n = level === PG_LEVEL_2M ? P1G : P2M;
        const base = Math.floor(g / n) * n;
        td.set_table_leaves(base, level, 0x100000 + base, rand(2) === 0);
        break;
      }
      case 7: {
        const e = new sept_entry(Math.floor(g / P2M) * P2M, PG_LEVEL_2M, 0x200000 + g);
        e.accepted = rand(2) === 0;
        td.set_leaf(e);
        break;
      }
      case 8: {
        const e = td.lookup(g);
        if (e !== null) {
          const what = rand(4);
          if (what === 0) td.block(e);
          else if (what === 1) td.accept(e);
          else if (what === 2) td.unblock(e);
          else td.delete_leaf(e);
        }
        break;
      }
      case 9:
        seen.push(`lookup ${g}: ${show(td.lookup(g))} ${td.leaf_pfn_at(g, PG_LEVEL_4K)}`);
        break;
      case 10: {
        const e = td.leaf_at(g, PG_LEVEL_4K);
        seen.push(`run ${g}: ${e === null ? 'none' : td.accepted_4k_run_end(e, g + rand(3 * P2M))}`);
        break;
      }
      default: {
        const lo = rand(span);
        const hi = lo + rand(2 * P2M);
        const got = [...td.leaves_in(lo, hi)].map((e) => `${e.gfn}/${e.level}`);
        seen.push(`leaves ${lo}..${hi}: ${got.length} ${got.slice(0, 4).join(',')} ${show(td.first_leaf_not_among(lo, hi, [], [], 0))}`);
      }
    }
  }
  seen.push(`end ${td.z_lo}:${td.z_hi} leaves ${td.nr_leaves}`);
  return seen;
}

async function on_td(eager: boolean, seed: number): Promise<string[]> {
  const was = level_map.eager_maps;
  level_map.eager_maps = eager;
  try {
    return await on_fresh_td((td) => program(td, seed));
  } finally {
    level_map.eager_maps = was;
  }
}

describe('a TD\'s per-level maps made on first write', () => {
  it('shows what maps made up front show, through random table and leaf changes', async () => {
    let tables = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const eager = await on_td(true, seed);
      expect(await on_td(false, seed)).toEqual(eager);
      expect(await on_td(false, seed)).toEqual(eager);
      tables += eager.filter((l) => /^table .*: true/.test(l)).length;
    }
    // Tables were found, so the comparison is not of empty maps.
    expect(tables).toBeGreaterThan(20);
  });
});
