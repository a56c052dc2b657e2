// The shared empty Map owners hold until their first write (kernel/shared.ts): a
// write to it throws, so one that slipped past an owner's is_empty_map() branch
// cannot leak into every other owner; reads, and deletes (no-ops), work.
import { describe, expect, it } from 'vitest';
import { empty_map, is_empty_map } from '../../src/kernel/index.ts';

describe('the shared empty map', () => {
  it('is one Map, empty, shared by every owner', () => {
    const a = empty_map<string, number>();
    const b = empty_map<number, string[]>();
    expect(is_empty_map(a)).toBe(true);
    expect(a as unknown).toBe(b);
    expect(a).toBeInstanceOf(Map);
    expect(a.size).toBe(0);
    expect(a.get('x')).toBeUndefined();
    expect(a.has('x')).toBe(false);
    expect([...a]).toEqual([]);
    expect(is_empty_map(new Map())).toBe(false);
  });

  it('throws on a write, and stays empty', () => {
    const m = empty_map<string, number>();
    expect(() => m.set('x', 1)).toThrow(/empty_map: written/);
    expect(m.size).toBe(0);
    expect(empty_map<string, number>().get('x')).toBeUndefined();
  });

  it('takes a delete or a clear as the no-op it is on an empty map', () => {
    const m = empty_map<string, number>();
    expect(m.delete('x')).toBe(false);
    m.clear();
    expect(m.size).toBe(0);
  });
});
