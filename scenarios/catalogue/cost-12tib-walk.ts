// v3's only_cross_boundary walk on a 12 TiB conversion of a 16 TiB guest_memfd: the
// split walks every table of the range.
import { cost } from './_cost.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(cost, {
  name: 'cost-12tib-walk',
  description: "v3's kvm_split_cross_boundary_leafs() on a 12 TiB conversion: SPTE visits of the split grow with the range (metrics: spteVisits, splitSpteVisits).",
  variant: 'v3-cross-boundary',
  expect: 'clean',
  // A cost measurement: one schedule, whatever --schedules says.
  bounds: { strategy: 'random', schedules: 1, fixed: true, maxSteps: 200_000, seed: 0 },
});
