// An invalidation that may not fail: the boundary split runs out of memory, and the
// range is zapped anyway, the huge leaf crossing it with it.
import { boundary } from './_boundary.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(boundary, {
  name: 'zap-cannot-fail',
  description: 'The boundary split fails (-ENOMEM) and the conversion zaps the range anyway: the crossing 2M leaf goes whole and private GFNs outside the range lose their memory.',
  variant: 'zap-cannot-fail',
  faults: { slab: 1 },
  expect: 'invariant:private',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
