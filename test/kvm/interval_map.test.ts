import { describe, expect, it } from 'vitest';
import { interval_map, range_subtract } from '../../src/kvm/index.ts';

describe('interval_map', () => {
  it('stores runs, splits and merges them, and never grows with the range size', () => {
    const m = new interval_map<number>();
    m.set(0, 2 ** 40, 1);
    expect(m.size).toBe(1);
    m.set(100, 200, 2);
    expect(m.entries()).toEqual([
      [0, 100, 1],
      [100, 200, 2],
      [200, 2 ** 40, 1],
    ]);
    m.set(100, 200, 1);
    expect(m.entries()).toEqual([[0, 2 ** 40, 1]]);
    m.set(10, 20, undefined);
    expect(m.get(9)).toBe(1);
    expect(m.get(10)).toBeUndefined();
    expect(m.get(20)).toBe(1);
    expect([...m.pieces(5, 25)].map((p) => [p.lo, p.hi, p.value])).toEqual([
      [5, 10, 1],
      [10, 20, undefined],
      [20, 25, 1],
    ]);
    expect(m.every(0, 10, (v) => v === 1)).toBe(true);
    expect(m.every(0, 11, (v) => v === 1)).toBe(false);
  });

  it('range_subtract leaves what no cut covers', () => {
    expect(range_subtract(0, 100, [[10, 20], [50, 200]])).toEqual([[0, 10], [20, 50]]);
    expect(range_subtract(0, 100, [[0, 100]])).toEqual([]);
    expect(range_subtract(0, 100, [])).toEqual([[0, 100]]);
  });
});
