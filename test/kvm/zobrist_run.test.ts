import { describe, expect, it } from 'vitest';
import { hex32, piece, piece_hi, piece_lo, piece_run, Z_SEPT_LEAF, Z_SPTE_LEAF } from '../../src/kvm/model/zobrist.ts';
import { kvm_mmu_page, make_spte, PG_LEVEL_2M, PG_LEVEL_4K } from './kvm_test_api.ts';

/** piece() over the run one by one, XORed: what piece_run() stands for. */
function one_by_one(tag: number, a: number, b: number, c: number, n: number, count: number): [number, number] {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < count; i++) {
    piece(tag, a + i * n, b + i * n, c);
    lo ^= piece_lo;
    hi ^= piece_hi;
  }
  return [lo, hi];
}

describe('piece_run()', () => {
  it('equals the pieces hashed one by one, computed and memoized alike', () => {
    const cases: Array<[number, number, number, number, number, number]> = [
      [Z_SPTE_LEAF | (1 << 8), 0x200, 0x100200, 0, 1, 512],
      [Z_SPTE_LEAF | (2 << 8) | 16, 0x40000, 0x140000, 0, 512, 512],
      [Z_SEPT_LEAF | (1 << 8), 0x200, 0x100200, 1, 1, 512],
      [Z_SEPT_LEAF | (1 << 8), 0x200, 0x100200, 0, 1, 512],
      [Z_SEPT_LEAF | (2 << 8), 2 ** 40, 2 ** 41, 1, 512, 3],
    ];
    for (const [tag, a, b, c, n, count] of cases) {
      for (let pass = 0; pass < 2; pass++) {
        piece_run(tag, a, b, c, n, count);
        expect([piece_lo, piece_hi]).toEqual(one_by_one(tag, a, b, c, n, count));
      }
    }
  });
});

describe('kvm_mmu_page.populate()', () => {
  it('hashes a table it fills from empty as one it fills over an entry', () => {
    const table = (): kvm_mmu_page => {
      const sp = new kvm_mmu_page(1);
      sp.gfn = 0x200;
      sp.role = { level: PG_LEVEL_4K, is_mirror: true, invalid: false };
      return sp;
    };
    const huge = make_spte(PG_LEVEL_2M, 0x100200);
    const a = table();
    a.populate(huge, PG_LEVEL_4K);
    const b = table();
    b.write(7, make_spte(PG_LEVEL_4K, 0x999));
    b.populate(huge, PG_LEVEL_4K);
    expect([a.z_lo, a.z_hi]).toEqual([b.z_lo, b.z_hi]);
    expect([a.z_lo, a.z_hi]).not.toEqual([0, 0]);
    expect([...a.entries()].map(([i, s]) => [i, s.tag === 'leaf' ? s.pfn : -1])).toEqual([...b.entries()].map(([i, s]) => [i, s.tag === 'leaf' ? s.pfn : -1]));
  });
});

describe('hex32()', () => {
  it('writes what toString(16).padStart(8, "0") writes, for every byte in every position', () => {
    const values = [0, 1, 0xf, 0x10, 0xff, 0x100, 0x7fffffff, 0x80000000, 0xffffffff];
    for (let shift = 0; shift < 32; shift += 8) for (let b = 0; b < 256; b++) values.push((b << shift) >>> 0);
    // And a spread of others (a fixed multiplicative sequence, so failures replay).
    for (let k = 0; k < 5000; k++) values.push(Math.imul(k, 0x9e3779b1) >>> 0);
    for (const v of values) expect(hex32(v)).toBe(v.toString(16).padStart(8, '0'));
  });
});
