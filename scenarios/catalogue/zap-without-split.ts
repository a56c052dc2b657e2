// The range is zapped without first splitting the huge leaf that crosses it: the zap takes the whole leaf, and private GFNs outside the range lose their memory.
import { boundary } from './_boundary.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(boundary, {
  name: 'zap-without-split',
  description: 'The range is zapped without first splitting the huge leaf that crosses it: the zap takes the whole leaf, and private GFNs outside the range lose their memory.',
  variant: 'v5-44-fixed',
  knobs: { split_before_zap: false },
  expect: 'invariant:private',
  bounds: { strategy: 'fastcheck', schedules: 200, maxSteps: 20_000, seed: 1 },
});
