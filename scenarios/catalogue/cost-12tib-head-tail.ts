// The head/tail arithmetic on a 12 TiB conversion of a 16 TiB guest_memfd: the split
// walks the two boundary blocks, whatever the range.
import { cost } from './_cost.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(cost, {
  name: 'cost-12tib-head-tail',
  description: 'Head/tail split of a 12 TiB conversion: SPTE visits of the split do not depend on the range (metrics: spteVisits, splitSpteVisits).',
  variant: 'head-tail',
  expect: 'clean',
  // A cost measurement: one schedule, whatever --schedules says.
  bounds: { strategy: 'random', schedules: 1, fixed: true, maxSteps: 200_000, seed: 0 },
});
