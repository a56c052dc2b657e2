// The fixed twin of concurrent-splitters.
import { splitters } from './_splitters.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(splitters, {
  name: 'concurrent-splitters-fixed',
  description: 'The fixed twin of concurrent-splitters: the table goes in with cmpxchg; the loser sees the table and moves on; split once in every interleaving (2 preemptions).',
  variant: 'v3-cross-boundary',
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
