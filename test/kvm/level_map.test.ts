// level_map against a plain Map of its entries, on random operations: its chunked
// fill() and its run_end() scan must find what per-GFN set()/get() would.
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { level_map } from '../../src/kvm/model/level_map.ts';
import { SPTE_ENT_PER_PAGE } from '../../src/kvm/arch/x86/include/asm/kvm_host.ts';

describe('level_map', () => {
  for (const pages of [1, 512]) {
    it(`fill() and run_end() agree with per-entry set() and get() (entries of ${pages} pages)`, () => {
      const span = pages * SPTE_ENT_PER_PAGE;
      // Three tables' worth of GFNs, so runs cross a chunk's end and meet missing chunks.
      const tables = 3;
      // Some run must cross from one chunk into the next, or the test proves little.
      let crossed = false;
      for (let seed = 1; seed <= 60; seed++) {
        const rnd = seedrandom.alea(`level_map:${seed}`);
        const int = (n: number) => Math.floor(rnd() * n);
        const m = new level_map<{ v: number }>(pages);
        const ref = new Map<number, { v: number }>();
        for (let op = 0; op < 200; op++) {
          const gfn = int(tables * SPTE_ENT_PER_PAGE) * pages;
          const r = rnd();
          if (r < 0.45) {
            const v = { v: rnd() < 0.97 ? 0 : 1 + int(3) };
            m.set(gfn, v);
            ref.set(gfn, v);
          } else if (r < 0.75) {
            m.delete(gfn);
            ref.delete(gfn);
          } else if (r < 0.8) {
            const base = int(tables) * span;
            const replaced: Array<{ v: number }> = [];
            const expected: Array<{ v: number }> = [];
            const made = (i: number) => ({ v: i % 131 === seed % 131 ? 1 + (seed % 3) : 0 });
            for (let i = 0; i < SPTE_ENT_PER_PAGE; i++) {
              const old = ref.get(base + i * pages);
              if (old !== undefined) expected.push(old);
            }
            m.fill(base, made, (old) => replaced.push(old));
            for (let i = 0; i < SPTE_ENT_PER_PAGE; i++) ref.set(base + i * pages, m.get(base + i * pages)!);
            expect(replaced).toEqual(expected);
            expect([...Array(SPTE_ENT_PER_PAGE).keys()].map((i) => m.get(base + i * pages)?.v)).toEqual([...Array(SPTE_ENT_PER_PAGE).keys()].map((i) => made(i).v));
          } else {
            // run_end() against get() on each GFN in turn.
            const hi = gfn + int(2 * span) - int(4) * pages;
            const want = 1 + int(3);
            const ok = (x: { v: number }, g: number) => x.v !== want || g % (97 * pages) === 0;
            let g = gfn;
            for (; g < hi; g += pages) {
              const x = ref.get(g);
              if (x === undefined || !ok(x, g)) break;
            }
            expect(m.run_end(gfn, hi, ok)).toBe(g);
            if (Math.floor(g / span) !== Math.floor(gfn / span) && g > gfn) crossed = true;
          }
          expect(m.size).toBe(ref.size);
        }
        for (const [g, v] of ref) expect(m.get(g)).toBe(v);
        expect(new Set(m.values())).toEqual(new Set(ref.values()));
      }
      expect(crossed).toBe(true);
    });
  }

  it('run_end() stops at the first missing or failing entry wherever it lies, across chunks', () => {
    const pages = 1;
    const n = 2 * SPTE_ENT_PER_PAGE;
    for (const missing of [false, true]) {
      for (let bad = 0; bad < n; bad++) {
        const m = new level_map<{ ok: boolean }>(pages);
        for (let g = 0; g < n; g++) if (!(missing && g === bad)) m.set(g, { ok: g !== bad });
        for (const from of [0, 1, 255, 511, 512, 513]) {
          for (const hi of [bad, bad + 1, n, n + 5]) {
            const want = from >= hi ? from : bad >= from && bad < hi ? bad : Math.min(hi, n);
            expect(m.run_end(from, hi, (x) => x.ok)).toBe(want);
          }
        }
      }
    }
  });
  for (const pages of [1, 512]) {
    it(`run_end() over lazily filled chunks steps over their PENDING slots as stepping one by one does (entries of ${pages} pages)`, () => {
      // Entry i of a chunk filled with descriptor d maps d + i; an entry is ok when it
      // continues the entry at `from`: what accepted_4k_run_end() asks.
      type E = { readonly gfn: number; readonly v: number };
      const span = pages * SPTE_ENT_PER_PAGE;
      const chunks = 3;
      let stepped = 0;
      for (let seed = 1; seed <= 60; seed++) {
        const rnd = seedrandom.alea(`level_map_settled:${pages}:${seed}`);
        const int = (n: number) => Math.floor(rnd() * n);
        const m = new level_map<E, { base: number; v: number }>(pages, (d, i) => ({ gfn: d.base + i * pages, v: d.v + i }));
        const ends = (stepwise: boolean, from: number, hi: number, off: number) => {
          const was = level_map.stepwise;
          level_map.stepwise = stepwise;
          try {
            return m.run_end(from, hi, (x, g) => x.v - (g - from) / pages === off, (d) => d.v - d.base / pages === off - from / pages);
          } finally {
            level_map.stepwise = was;
          }
        };
        for (let k = 0; k < 60; k++) {
          const g = int(chunks * SPTE_ENT_PER_PAGE) * pages;
          switch (int(6)) {
            case 0: {
              const base = int(chunks) * span;
              // Often continuing the values of the chunk before, so runs cross chunks.
              m.fill_lazy(base, { base, v: int(3) === 0 ? int(9) : base / pages });
              break;
            }
            case 1:
              m.set(g, { gfn: g, v: g / pages + (int(4) === 0 ? 1 : 0) });
              break;
            case 2:
              m.delete(g);
              break;
            case 3:
              m.get(g);
              break;
            default: {
              const e = m.get(g);
              if (e === undefined) break;
              const hi = g + int(2 * span);
              // Neither way makes an entry: the second sees what the first did.
              const a = ends(false, g + pages, hi, e.v + 1);
              const b = ends(true, g + pages, hi, e.v + 1);
              expect(a).toBe(b);
              if (b > g + 3 * pages) stepped++;
            }
          }
        }
      }
      expect(stepped).toBeGreaterThan(20);
    });
  }
});
