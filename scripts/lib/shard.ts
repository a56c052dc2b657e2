import { UsageError } from './errors.ts';

export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Parses `i/n` (1-based). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard '${text}': expected i/n with 1 <= i <= n, e.g. 1/4`);
  }
  return { index, count };
}

/** The items of one shard: item k of the sorted list goes to shard (k mod n) + 1. */
export function takeShard<T>(items: readonly T[], shard: Shard | undefined): T[] {
  return takeShardIndexed(items, shard).map((x) => x.item);
}

/** takeShard, keeping each item's place in the whole list. */
export function takeShardIndexed<T>(items: readonly T[], shard: Shard | undefined): { item: T; index: number }[] {
  const all = items.map((item, index) => ({ item, index }));
  return shard === undefined ? all : all.filter((x) => x.index % shard.count === shard.index - 1);
}

/** The shard (1-based) that runs work item `k` of the scenario at `index` of the
 * sorted list (--split): the items are dealt round the shards starting at the
 * scenario's own shard, so a scenario of one item goes where its file would. */
export function shardOfItem(index: number, k: number, count: number): number {
  return ((index + k) % count) + 1;
}
