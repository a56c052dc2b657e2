// The fixed twin of zap-cannot-fail: v5 44/45's split before the zap may fail, and then
// the conversion fails with it, nothing zapped.
import { boundary } from './_boundary.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(boundary, {
  name: 'zap-cannot-fail-fixed',
  description: 'The fixed twin of zap-cannot-fail: a failed split fails the conversion (-ENOMEM) and nothing is zapped; clean whichever allocation fails, in every interleaving (2 preemptions).',
  variant: 'v5-44-fixed',
  faults: { slab: 1 },
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
