// Concurrent splitters of one range under shared mmu_lock with a "did I split"
// check and a plain store instead of cmpxchg-and-retry.
import { splitters } from './_splitters.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(splitters, {
  name: 'concurrent-splitters',
  description: 'Both splitters see the huge leaf and store their own table: the leaf is split twice and the first table is lost.',
  variant: 'v3-cross-boundary',
  knobs: { split_spte_atomic: false },
  expect: 'invariant:split_once',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
