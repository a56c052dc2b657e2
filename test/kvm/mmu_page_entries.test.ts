import { describe, expect, it } from 'vitest';
import { kvm_mmu_page, make_spte, PG_LEVEL_4K, SHADOW_NONPRESENT_VALUE } from './kvm_test_api.ts';

describe('kvm_mmu_page entries', () => {
  it('lists and finds the stored indices as a sorted set of them would, through writes and clears', () => {
    const sp = new kvm_mmu_page(1);
    sp.role = { level: PG_LEVEL_4K, is_mirror: false, invalid: false };
    const ref = new Set<number>();
    let x = 12345;
    const rand = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % n;
    };
    for (let step = 0; step < 3000; step++) {
      const i = step < 600 ? [0, 31, 32, 63, 480, 511][step % 6]! ^ (step >= 6 ? rand(2) : 0) : rand(512);
      if (rand(3) === 0) {
        sp.write(i, SHADOW_NONPRESENT_VALUE);
        ref.delete(i);
      } else {
        sp.write(i, make_spte(PG_LEVEL_4K, i));
        ref.add(i);
      }
      if (step % 97 === 0 || step < 50) {
        const sorted = [...ref].sort((a, b) => a - b);
        expect([...sp.entries()].map(([j]) => j)).toEqual(sorted);
        const from = rand(520);
        expect([...sp.entries(from)].map(([j]) => j)).toEqual(sorted.filter((j) => j >= from));
        for (const k of [0, from, 511, 512]) expect(sp.next_stored(k)).toBe(sorted.find((j) => j >= k) ?? Infinity);
      }
    }
  });
});
