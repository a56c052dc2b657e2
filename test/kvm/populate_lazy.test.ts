// kvm_mmu_page.populate() of an empty table makes its 512 leaves only when first
// looked at; populate() over a table that holds an entry stores all 512 at once (the
// plain method). Two tables populated the two ways, then put through the same random
// reads, writes and walks, must show the same entries, hashes and identities.
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { FROZEN_SPTE, kvm_mmu_page, make_nonleaf_spte, make_spte, PG_LEVEL_2M, PG_LEVEL_4K, SHADOW_NONPRESENT_VALUE, type u64 } from './kvm_test_api.ts';

const show = (s: u64): string => (s.tag === 'leaf' ? `leaf:${s.pfn}:${s.large}` : s.tag === 'nonleaf' ? `nonleaf:${s.child.name}` : s.tag);

function table(): kvm_mmu_page {
  const sp = new kvm_mmu_page(1);
  sp.gfn = 0x200;
  sp.role = { level: PG_LEVEL_4K, is_mirror: true, invalid: false };
  return sp;
}

describe('kvm_mmu_page.populate() making leaves when first looked at', () => {
  it('shows what a table populated eagerly shows, through random reads, writes and walks', () => {
    const huge = make_spte(PG_LEVEL_2M, 0x100200);
    const child = new kvm_mmu_page(2);
    child.gfn = 0x200;
    child.role = { level: PG_LEVEL_4K, is_mirror: true, invalid: false };
    for (let seed = 1; seed <= 30; seed++) {
      const rng = seedrandom.alea(`populate_lazy:${seed}`);
      const rand = (n: number): number => Math.floor(rng() * n);
      const lazy = table();
      lazy.populate(huge, PG_LEVEL_4K);
      const eager = table();
      // An entry already there takes populate() the plain way: every leaf stored now.
      eager.write(rand(512), make_spte(PG_LEVEL_4K, 0x999));
      eager.populate(huge, PG_LEVEL_4K);
      // What each table returned for an index, to check identities stay as they were.
      const seenLazy = new Map<number, u64>();
      const seenEager = new Map<number, u64>();
      for (let step = 0; step < 400; step++) {
        const i = rand(512);
        switch (rand(6)) {
          case 0: {
            const a = lazy.read(i);
            const b = eager.read(i);
            expect(show(a)).toBe(show(b));
            // The same object as an earlier read, exactly when the plain table's is.
            if (seenLazy.has(i)) expect(seenLazy.get(i) === a).toBe(seenEager.get(i) === b);
            seenLazy.set(i, a);
            seenEager.set(i, b);
            break;
          }
          case 1: {
            const v = [SHADOW_NONPRESENT_VALUE, FROZEN_SPTE, make_spte(PG_LEVEL_4K, 0x5000 + i), make_nonleaf_spte(child)][rand(4)]!;
            lazy.write(i, v);
            eager.write(i, v);
            break;
          }
          case 2:
            expect(show(lazy.peek(i))).toBe(show(eager.peek(i)));
            break;
          case 3:
            expect(lazy.next_stored(i)).toBe(eager.next_stored(i));
            break;
          case 4:
            expect([...lazy.entries(i)].map(([j, s]) => `${j}=${show(s)}`)).toEqual([...eager.entries(i)].map(([j, s]) => `${j}=${show(s)}`));
            break;
          default: {
            lazy.walk_start();
            eager.walk_start();
            const j = lazy.walk_next(i);
            expect(j).toBe(eager.walk_next(i));
            if (j < 512) expect(show(lazy.walk_entry(j))).toBe(show(eager.walk_entry(j)));
          }
        }
        expect([lazy.z_lo, lazy.z_hi]).toEqual([eager.z_lo, eager.z_hi]);
      }
      expect([...lazy.entries()].map(([j, s]) => `${j}=${show(s)}`)).toEqual([...eager.entries()].map(([j, s]) => `${j}=${show(s)}`));
    }
  });

  it('gives a leaf one identity from its first look on, and the value a split makes', () => {
    const huge = make_spte(PG_LEVEL_2M, 0x100200);
    const sp = table();
    sp.populate(huge, PG_LEVEL_4K);
    const a = sp.read(37);
    expect(sp.read(37)).toBe(a);
    expect([...sp.entries(37)][0]![1]).toBe(a);
    expect(a).toEqual(make_spte(PG_LEVEL_4K, 0x100200 + 37));
    // Cleared, the leaf is gone; written again, the new value is what reads see.
    sp.write(37, SHADOW_NONPRESENT_VALUE);
    expect(sp.read(37)).toBe(SHADOW_NONPRESENT_VALUE);
    const b = make_spte(PG_LEVEL_4K, 1);
    sp.write(37, b);
    expect(sp.read(37)).toBe(b);
    // A table populated again from empty makes the new split's leaves.
    for (let i = 0; i < 512; i++) sp.write(i, SHADOW_NONPRESENT_VALUE);
    const other = make_spte(PG_LEVEL_2M, 0x300000);
    sp.populate(other, PG_LEVEL_4K);
    expect(sp.read(37)).toEqual(make_spte(PG_LEVEL_4K, 0x300000 + 37));
  });
});
