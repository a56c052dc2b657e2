// What a set-up makes that is the same in every schedule (a key's footprints,
// computed names): made once and shared by every schedule, never written by one.
// Set-up cost is a good part of a short schedule's, and these are pure functions of
// their key, so sharing cannot change what a schedule does. `fresh` turns the
// sharing off (each schedule makes its own, as before):
// test/catalogue/setup-reuse.test.ts runs the catalogue both ways and compares. `freeze`
// deep-freezes what is shared, so a schedule that writes it throws (ESM code is
// strict) and the run ends in a finding the comparison sees.
import type { Footprint } from '../engine/index.ts';

export interface setup_sharing {
  /** Every schedule makes its own artifacts (the plain method). */
  fresh: boolean;
  /** Deep-freeze what is shared (tests and debugging). */
  freeze: boolean;
}

/** The process's setting; tests change it around an exploration.
 * SEPTCHECK_FRESH_SETUP=1 in the environment starts it fresh (the plain method). */
export const setup_sharing: setup_sharing = {
  fresh: typeof process !== 'undefined' && process.env.SEPTCHECK_FRESH_SETUP === '1',
  freeze: false,
};

/** At most this many keys are kept (a model has a few dozen; tests may make more). */
const MAX_KEYS = 1 << 14;

/** `x` and everything it reaches frozen, under `freeze`; `x` itself. */
export function shared<T>(x: T): T {
  if (setup_sharing.freeze) deep_freeze(x);
  return x;
}

function deep_freeze(x: unknown): void {
  if (typeof x !== 'object' || x === null || Object.isFrozen(x)) return;
  Object.freeze(x);
  for (const v of Object.values(x)) deep_freeze(v);
}

/** A read and a write of one footprint key, as the one-element lists points take. */
export interface key_footprints {
  readonly read: readonly Footprint[];
  readonly write: readonly Footprint[];
}

function make_footprints(key: string): key_footprints {
  return { read: [{ key, access: 'read' }], write: [{ key, access: 'write' }] };
}

/** A cache of artifacts made from a key (a string, or a number) alone by `make`: each
 * shared by every schedule (frozen under `freeze`), or made afresh each time under `fresh`. */
export function shared_cache<T, K extends string | number = string>(make: (key: K) => T): (key: K) => T {
  const made = new Map<K, T>();
  return (key) => {
    if (setup_sharing.fresh) return make(key);
    let v = made.get(key);
    if (v === undefined) {
      v = shared(make(key));
      if (made.size < MAX_KEYS) made.set(key, v);
    }
    return v;
  };
}

/** The footprints of `key`. */
export const key_footprints_of = shared_cache(make_footprints);

/** Names `prefix + name` as one string per name, so that the footprint key built
 * from it is hashed once, not in every schedule. */
export function key_namer(prefix: string): (name: string) => string {
  return shared_cache((name) => prefix + name);
}

/** The ids name_id() gave out: every name a Kernel made unique (Kernel.unique()),
 * in the order first seen. The names are the same in every schedule, so a kernel
 * counts them by id in an array instead of filling a Map of its own. */
const name_ids = new Map<string, number>();

/** `name`'s id, or -1 under `fresh` and past MAX_KEYS ids (the caller counts it by
 * name, the plain method). */
export function name_id(name: string): number {
  if (setup_sharing.fresh) return -1;
  const id = name_ids.get(name);
  if (id !== undefined) return id;
  if (name_ids.size >= MAX_KEYS) return -1;
  name_ids.set(name, name_ids.size);
  return name_ids.size - 1;
}

/** The one empty Map an owner holds until its first write (a lock's points, a
 * level_map's lazy-fill bookkeeping, a TD's table maps), so that the many owners
 * never written make none: read by all, written by none. A Map cannot be frozen, so
 * set() throws instead: a write that slipped past the owner's `is_empty_map(m)` (make
 * its own Map) branch would leak into every owner. delete() and clear() stay, no-ops
 * on an empty map (owners delete from it). test/kernel/empty_map.test.ts. */
class empty_map_t<K, V> extends Map<K, V> {
  override set(): this {
    throw new Error('empty_map: written (its owner must make a Map of its own first)');
  }
}

const EMPTY_MAP: Map<unknown, never> = new empty_map_t<unknown, never>();

/** The shared empty Map (see empty_map_t), typed as the owner's. */
export function empty_map<K, V>(): Map<K, V> {
  return EMPTY_MAP as Map<K, V>;
}

/** Whether `m` is the shared empty Map: its owner makes its own before a write. */
export function is_empty_map(m: ReadonlyMap<unknown, unknown>): boolean {
  return m === EMPTY_MAP;
}
