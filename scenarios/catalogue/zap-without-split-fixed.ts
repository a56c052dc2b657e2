// The fixed twin of zap-without-split: the crossing leaf is split first, so only the range is zapped; clean in every interleaving (2 preemptions).
import { boundary } from './_boundary.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(boundary, {
  name: 'zap-without-split-fixed',
  description: 'The fixed twin of zap-without-split: the crossing leaf is split first, so only the range is zapped; clean in every interleaving (2 preemptions).',
  variant: 'v5-44-fixed',
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
