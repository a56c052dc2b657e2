// Zobrist-style state hashing (Zobrist, 1970): a piece of model state (an SPTE leaf,
// an S-EPT leaf, a run of an interval map) hashes to 64 bits, kept as two 32-bit
// lanes, and a collection of pieces to the XOR of its pieces' hashes. A write that
// replaces one piece by another updates the collection's hash in O(1): XOR the old
// piece out and the new one in. kvm_state_hash() (state_hash.ts) combines the
// collections' hashes instead of walking the model.
//
// Nothing here allocates: a piece's hash is left in `piece_lo` / `piece_hi` (read
// them at once; the next call overwrites them).

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const C3 = 0x85ebca6b;
const C4 = 0xc2b2ae35;
const TWO32 = 4294967296;

/** The 32-bit finaliser of MurmurHash3, as a signed 32-bit integer (a small
 * integer to V8: storing it allocates nothing). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, C3);
  h ^= h >>> 13;
  h = Math.imul(h, C4);
  h ^= h >>> 16;
  return h | 0;
}

/** One round of MurmurHash3's body: `w` mixed into `h`. */
function round(h: number, w: number): number {
  w = Math.imul(w, C1);
  w = (w << 15) | (w >>> 17);
  w = Math.imul(w, C2);
  h ^= w;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** The low and high 32 bits of an integer below 2^53 in magnitude. */
function low(x: number): number {
  return x | 0;
}
function high(x: number): number {
  return Math.floor(x / TWO32) | 0;
}

/** The hash of the last piece hashed (see piece()). */
export let piece_lo = 0;
export let piece_hi = 0;

/** Hashes the piece (tag, a, b, c) into piece_lo/piece_hi: integers, each below
 * 2^53 in magnitude (GFNs, PFNs, levels, value_hash() of other values). The lanes
 * are two different 32-bit hashes: a word's high half enters the first lane through
 * a multiplication of the low half's, the second the other way round, so inputs
 * that one lane cannot tell apart the other can. */
export function piece(tag: number, a: number, b: number, c: number): void {
  const ah = high(a);
  const bh = high(b);
  let x = round(0x5bd1e995 ^ Math.imul(tag, 0x27d4eb2f), low(a) ^ Math.imul(ah, 0x9e3779b1));
  let y = round(0x68e31da4 ^ Math.imul(tag, 0x165667b1), ah ^ Math.imul(low(a), 0x85ebca77));
  x = round(x, low(b) ^ Math.imul(bh, 0x9e3779b1));
  y = round(y, bh ^ Math.imul(low(b), 0x85ebca77));
  let n = 2;
  if (c !== 0) {
    const ch = high(c);
    x = round(x, low(c) ^ Math.imul(ch, 0x9e3779b1));
    y = round(y, ch ^ Math.imul(low(c), 0x85ebca77));
    n = 3;
  }
  piece_lo = fmix32(x ^ n);
  piece_hi = fmix32(y ^ (n << 4));
}

/** Memo of piece_run(): a pure function of its arguments, so a run one schedule
 * hashed serves the next (a scenario splits the same page in most schedules). */
const runs = new Map<string, { readonly lo: number; readonly hi: number }>();
const RUNS_MAX = 4096;

/** The XOR of piece(tag, a + i * n, b + i * n, c) over i in [0, count), into
 * piece_lo/piece_hi: the hash of `count` leaves whose GFNs and PFNs advance together
 * (the table a split fills). The same as hashing them one by one. */
export function piece_run(tag: number, a: number, b: number, c: number, n: number, count: number): void {
  const key = `${tag}:${a}:${b}:${c}:${n}:${count}`;
  let r = runs.get(key);
  if (r === undefined) {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < count; i++) {
      piece(tag, a + i * n, b + i * n, c);
      lo ^= piece_lo;
      hi ^= piece_hi;
    }
    if (runs.size >= RUNS_MAX) runs.clear();
    runs.set(key, (r = { lo, hi }));
  }
  piece_lo = r.lo;
  piece_hi = r.hi;
}

/** A 53-bit hash of a value an interval map stores (an integer to hand to piece()),
 * such that two values hash alike when JSON.stringify() writes them alike (numbers
 * and strings differ by type). */
export function value_hash(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 2 ** 53) {
    const a = fmix32(round(round(0x3c6ef372, low(v)), high(v)));
    const b = fmix32(round(round(0x14292967, high(v)), low(v)));
    return (a >>> 0) + (b & 0x1fffff) * TWO32;
  }
  return string_hash(typeof v === 'string' ? `s${v}` : `j${JSON.stringify(v)}`);
}

/** A 53-bit hash of a string: two 32-bit FNV-1a lanes over its UTF-16 code units. */
function string_hash(s: string): number {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return (fmix32(a ^ s.length) >>> 0) + (fmix32(b) & 0x1fffff) * TWO32;
}

/** A running hash of a sequence of integers (not a set: order counts), for combining
 * the collections' hashes and a few scalars into one state hash. */
export class zobrist_seq {
  private x = 0x243f6a88;
  private y = 0x85a308d3;
  private n = 0;

  add(v: number): this {
    this.x = round(this.x, low(v));
    this.x = round(this.x, high(v));
    this.y = round(this.y, high(v) ^ 0x13198a2e);
    this.y = round(this.y, low(v));
    this.n++;
    return this;
  }

  /** 16 hex digits, as hashText() gives. */
  hex(): string {
    const a = fmix32(this.x ^ this.n) >>> 0;
    const b = fmix32(this.y ^ (this.n * 4)) >>> 0;
    return hex32(a) + hex32(b);
  }
}

/** Two hex digits of each byte value. */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `v` (an unsigned 32-bit integer) as 8 hex digits, as v.toString(16).padStart(8,
 * '0') writes it: by byte, from a table (toString(16) and padStart cost ten times
 * more, once per schedule's state hash). */
export function hex32(v: number): string {
  return HEX_BYTE[v >>> 24]! + HEX_BYTE[(v >>> 16) & 255]! + HEX_BYTE[(v >>> 8) & 255]! + HEX_BYTE[v & 255]!;
}

/** Piece tags: the kind of piece, so that pieces of different kinds never share a hash
 * by construction. */
export const Z_SPTE_LEAF = 1;
export const Z_SPTE_FROZEN = 2;
export const Z_SEPT_LEAF = 3;
export const Z_RUN = 4;
