// DEMOTE's 512 S-EPT leaves made when first looked at (level_map.fill_lazy()) against
// the plain method (sept_fill.eager: all made at once): the same random program of
// DEMOTEs, leaf writes, deletes, BLOCK/ACCEPT/UNBLOCK and reads, run on a TD each
// way, must see the same leaves (and the same objects), the same run ends (the
// private invariant's scan), the same Zobrist hash and the same stored entries.
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { PG_LEVEL_2M, PG_LEVEL_4K, sept_entry, sept_fill, type tdx_td } from '../../src/kvm/index.ts';
import { on_fresh_td, P2M } from './helpers.ts';

const raw = (o: object): any => o;

/** One random program on `td`; what it saw, one line per observation. */
function program(td: tdx_td, seed: number): { seen: string[]; pending: number } {
  const rng = seedrandom.alea(`sept_lazy_fill:${seed}`);
  const rand = (n: number): number => Math.floor(rng() * n);
  const tables = 4;
  const ids = new Map<object, number>();
  const id = (e: object): number => {
    if (!ids.has(e)) ids.set(e, ids.size);
    return ids.get(e)!;
  };
  const show = (e: sept_entry | null): string => (e === null ? 'none' : `#${id(e)} ${e.gfn}/${e.level}->${e.pfn} ${e.state}:${e.blocked_epoch}`);
  const seen: string[] = [];
  let pending = 0;
  for (let step = 0; step < 300; step++) {
    const g = rand(tables * P2M);
    const base = rand(tables) * P2M;
    switch (rand(10)) {
      case 0:
      case 1: {
        // Often the PFNs continue the previous table's, so runs cross tables.
        const pfn = 0x100000 + base + (rand(4) === 0 ? P2M * (1 + rand(3)) : 0);
        td.set_table_leaves(base, PG_LEVEL_4K, pfn, rand(3) !== 0);
        // Slots not made yet, in the lazy TD (the eager one has none).
        for (const chunk of raw(raw(td).sept[PG_LEVEL_4K]).chunks.values()) for (const v of chunk) if (typeof v === 'symbol') pending++;
        break;
      }
      case 2: {
        const e = new sept_entry(g, PG_LEVEL_4K, 0x100000 + g + (rand(8) === 0 ? 7 : 0));
        e.accepted = rand(4) !== 0;
        td.set_leaf(e);
        break;
      }
      case 3: {
        const e = new sept_entry(base, PG_LEVEL_2M, 0x200000 + base);
        e.accepted = rand(2) === 0;
        td.set_leaf(e);
        break;
      }
      case 4: {
        const e = td.leaf_at(g, PG_LEVEL_4K);
        if (e !== null && rand(2) === 0) td.delete_leaf(e);
        break;
      }
      case 5: {
        const e = td.lookup(g);
        if (e !== null) {
          const what = rand(3);
          if (what === 0) td.block(e);
          else if (what === 1) td.accept(e);
          else td.unblock(e);
          if (rand(4) === 0) td.epoch = td.epoch + 1;
        }
        break;
      }
      case 6:
        seen.push(`lookup ${g}: ${show(td.lookup(g))}`);
        break;
      case 7:
      case 8: {
        const e = td.leaf_at(g, PG_LEVEL_4K);
        const hi = g + rand(3 * P2M);
        seen.push(`run ${g}..${hi}: ${e === null ? 'none' : td.accepted_4k_run_end(e, hi)}`);
        break;
      }
      default:
        seen.push(`hash ${td.z_lo}:${td.z_hi} leaves ${td.nr_leaves}`);
    }
  }
  // What is stored, every entry (values() makes those not made yet), in GFN order.
  const stored = (raw(td).sept as Array<{ values(): Iterable<sept_entry> }>).flatMap((m) => [...m.values()]);
  stored.sort((a, b) => a.level - b.level || a.gfn - b.gfn);
  for (const e of stored) seen.push(`stored ${show(e)}`);
  seen.push(`end hash ${td.z_lo}:${td.z_hi} leaves ${td.nr_leaves}`);
  return { seen, pending };
}

async function on_td(eager: boolean, seed: number): Promise<{ seen: string[]; pending: number }> {
  const was = sept_fill.eager;
  sept_fill.eager = eager;
  try {
    return await on_fresh_td((td) => program(td, seed));
  } finally {
    sept_fill.eager = was;
  }
}

describe('S-EPT DEMOTE fill made when first looked at', () => {
  it('shows what the eager fill shows, through random DEMOTEs, writes, deletes and reads', async () => {
    let pending = 0;
    let runs = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const eager = await on_td(true, seed);
      const lazy = await on_td(false, seed);
      expect(eager.pending).toBe(0);
      expect(lazy.seen).toEqual(eager.seen);
      pending += lazy.pending;
      runs += lazy.seen.filter((l) => /^run \d+\.\.\d+: \d+$/.test(l)).length;
    }
    // The lazy path was taken (slots not made yet) and the run scan exercised.
    expect(pending).toBeGreaterThan(0);
    expect(runs).toBeGreaterThan(100);
  });
});
