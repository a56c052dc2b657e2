// SafeStack, as SCTBench ships it (benchmarks/safestack/SafeStack.cpp in
// mc-imperial/sctbench; from Dmitry Vyukov's Relacy Race Detector examples; Thomson,
// Donaldson and Betts, "Concurrency testing using controlled schedulers: an empirical
// study", TOPC 2016). Written here from the algorithm, not translated line by line.
//
// A lock-free stack of array indices: `head` is the index of the top item, each item
// links to the one below it through `Next`, `count` says how many items are on the
// stack. Pop first claims the top item by exchanging its `Next` with -1 (a claimed
// item cannot be claimed again), then swings `head` to the old `Next` with a
// compare-and-swap, and gives the claim back when that fails. Push links the item to
// the head it read and swings `head` to it, re-linking while the swing fails. Three
// threads each pop an item, write their id into its `Value`, read it back (the
// assertion) and push the item back, twice; the stack holds three items.
//
// The bug is an ABA that needs three threads: a popper can claim an item that is not
// on the stack (it read `head` before another thread popped that item, and claims it
// while its owner is re-linking it in Push). The owner's re-link overwrites the claim,
// its push succeeds, and the popper's compare-and-swap then succeeds on the same
// `head` value with the stale `Next` it claimed: `head` now names an item some thread
// holds, two threads end up holding the same item, and one reads back the other's id.
// Every access to head, count, Next and Value is a scheduling point (the C++ atomics,
// and Value because it races). sched_yield() is a wait until something the retry
// reads has changed: retrying with nothing changed repeats the same steps.
import { atomic_cmpxchg, atomic_dec, atomic_inc, atomic_read, atomic_set, atomic_t, atomic_xchg, Kernel, spin_until_cond, WARN_ON } from 'septcheck';
import type { Run } from 'septcheck';

const THREADS = 3;
const ITEMS = 3;
const ROUNDS = 2;

/** The stack's operations: Pop gives an index (or -1: too few items), Push takes one back. */
interface Stack {
  readonly Value: readonly atomic_t[];
  Pop(): Promise<number>;
  Push(index: number): Promise<void>;
  /** The retry after Pop gave -1 (sched_yield()): until there are items again. */
  awaitItems(): Promise<void>;
}

/** SafeStack.cpp's stack, with its ABA. */
function safeStack(k: Kernel): Stack {
  const head = new atomic_t(k, 'head', 0);
  const count = new atomic_t(k, 'count', ITEMS);
  const Next = Array.from({ length: ITEMS }, (_, i) => new atomic_t(k, `array[${i}].Next`, i + 1 < ITEMS ? i + 1 : -1));
  const Value = Array.from({ length: ITEMS }, (_, i) => new atomic_t(k, `array[${i}].Value`));
  return {
    Value,
    async Pop() {
      for (;;) {
        const c = await atomic_read(count);
        if (c <= 1) return -1;
        const head1 = await atomic_read(head);
        const next1 = await atomic_xchg(Next[head1]!, -1);
        if (next1 >= 0) {
          if ((await atomic_cmpxchg(head, head1, next1)) === head1) {
            await atomic_dec(count);
            return head1;
          }
          await atomic_xchg(Next[head1]!, next1); // give the claim back
        } else {
          // Claimed by another popper: sched_yield() and retry.
          const reads = [...count.fp_read, ...head.fp_read, ...Next[head1]!.fp_read];
          await spin_until_cond(() => count.counter !== c || head.counter !== head1 || Next[head1]!.counter !== -1, 'sched_yield()', reads);
        }
      }
    },
    async Push(index) {
      let head1 = await atomic_read(head);
      for (;;) {
        await atomic_set(Next[index]!, head1);
        const seen = await atomic_cmpxchg(head, head1, index);
        if (seen === head1) break;
        head1 = seen;
      }
      await atomic_inc(count);
    },
    awaitItems: () => spin_until_cond(() => count.counter > 1, 'sched_yield()', count.fp_read),
  };
}

/**
 * The clean twin (septcheck's, SCTBench has none): the textbook fix of the ABA, a
 * Treiber stack whose head carries a version that every swing bumps, so a
 * compare-and-swap made with a stale head fails. Pop reads the top item's `Next`
 * instead of claiming it, and has nothing to give back.
 */
function taggedStack(k: Kernel): Stack {
  // head = (index + 1) + 4 * version: index -1 is the empty stack.
  const pack = (index: number, version: number) => index + 1 + 4 * version;
  const indexOf = (h: number) => (h & 3) - 1;
  const versionOf = (h: number) => h >>> 2;
  const head = new atomic_t(k, 'head', pack(0, 0));
  const count = new atomic_t(k, 'count', ITEMS);
  const Next = Array.from({ length: ITEMS }, (_, i) => new atomic_t(k, `array[${i}].Next`, i + 1 < ITEMS ? i + 1 : -1));
  const Value = Array.from({ length: ITEMS }, (_, i) => new atomic_t(k, `array[${i}].Value`));
  return {
    Value,
    async Pop() {
      for (;;) {
        const c = await atomic_read(count);
        if (c <= 1) return -1;
        const h = await atomic_read(head);
        const top = indexOf(h);
        if (top < 0) {
          await spin_until_cond(() => count.counter !== c || head.counter !== h, 'sched_yield()', [...count.fp_read, ...head.fp_read]);
          continue;
        }
        const next = await atomic_read(Next[top]!);
        if ((await atomic_cmpxchg(head, h, pack(next, versionOf(h) + 1))) === h) {
          await atomic_dec(count);
          return top;
        }
      }
    },
    async Push(index) {
      let h = await atomic_read(head);
      for (;;) {
        await atomic_set(Next[index]!, indexOf(h));
        const seen = await atomic_cmpxchg(head, h, pack(index, versionOf(h) + 1));
        if (seen === h) break;
        h = seen;
      }
      await atomic_inc(count);
    },
    awaitItems: () => spin_until_cond(() => count.counter > 1, 'sched_yield()', count.fp_read),
  };
}

/** SafeStack.cpp's main(): three threads, each popping, using and pushing back an
 * item twice; the tagged stack when `fixed`. */
export function safestack_setup(run: Run, fixed: boolean): void {
  const k = new Kernel(run);
  const stack = fixed ? taggedStack(k) : safeStack(k);
  for (let idx = 0; idx < THREADS; idx++) {
    k.kthread(`thread${idx}`, async () => {
      for (let i = 0; i < ROUNDS; i++) {
        let elem: number;
        while ((elem = await stack.Pop()) < 0) await stack.awaitItems();
        await atomic_set(stack.Value[elem]!, idx);
        const seen = await atomic_read(stack.Value[elem]!);
        if (WARN_ON(seen !== idx, `array[${elem}].Value == ${seen}, not ${idx}: two threads hold item ${elem}`)) return;
        await stack.Push(elem);
      }
    });
  }
}
