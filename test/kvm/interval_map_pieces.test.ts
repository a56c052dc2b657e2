// interval_map.pieces(), an iterator of its own, against the generator it replaced
// (the plain method, kept here): the same pieces, and the same reads recorded at the
// same points, on random maps, with callers that stop early and callers that change
// the map between two pieces.
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { Run } from '../../src/engine/index.ts';
import { interval_map, type Piece } from '../../src/kvm/model/interval_map.ts';

/** The generator pieces() was, over the map's runs and its recorded read. */
function* plain<V>(m: interval_map<V>, lo: number, hi: number): IterableIterator<Piece<V>> {
  let i = m.walk_start(lo, hi);
  let x = lo;
  for (let r = m.walk_run(i); r !== undefined && x < hi; r = m.walk_run(++i)) {
    if (r.lo >= hi) break;
    if (r.lo > x) yield { lo: x, hi: r.lo, value: undefined };
    const a = Math.max(x, r.lo);
    const b = Math.min(hi, r.hi);
    yield { lo: a, hi: b, value: r.value };
    x = b;
  }
  if (x < hi) yield { lo: x, hi, value: undefined };
}

/** A script of one walk: what it saw and what was recorded, as text. */
function script(seed: number, walk: (m: interval_map<number>, lo: number, hi: number) => IterableIterator<Piece<number>>): string[] {
  const rnd = seedrandom.alea(`interval_map_pieces:${seed}`);
  const int = (n: number) => Math.floor(rnd() * n);
  const run = new Run(() => 0, { maxSteps: 10, shared: new Map() });
  const out: string[] = [];
  // Every access of the map goes to this footprint (as in a recorded run's step),
  // in order with what the walk sees.
  (run as any).sink = { push: (f: { key: string; access: string; range?: number[] }) => out.push(`${f.access} ${f.range?.join('..') ?? '*'}`) };
  const m = new interval_map<number>({ run, key: 'm' });
  for (let k = 0; k < 40; k++) {
    const lo = int(200);
    m.set(lo, lo + 1 + int(30), int(4) === 0 ? (undefined as unknown as number) : int(3));
    const a = int(220);
    const b = a + int(80);
    const it = walk(m, a, b);
    // Nothing read until the first piece is asked for.
    out.push(`walk ${a}..${b}`);
    const stop = int(3) === 0 ? int(4) : Infinity;
    let n = 0;
    for (const p of it) {
      out.push(`${p.lo}..${p.hi}=${p.value}`);
      // Some callers change the map between two pieces.
      if (int(6) === 0) {
        const c = int(220);
        m.set(c, c + 1 + int(20), int(3));
        out.push(`set ${c}`);
      }
      if (++n >= stop) break;
    }
  }
  return out;
}

describe('interval_map.pieces()', () => {
  it('walks as the generator it replaced did', () => {
    let changed = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const want = script(seed, plain);
      expect(script(seed, (m, lo, hi) => m.pieces(lo, hi))).toEqual(want);
      changed += want.filter((l) => l.startsWith('set')).length;
    }
    expect(changed).toBeGreaterThan(50);
  });
});
