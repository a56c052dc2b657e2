// The fixed twin of punch-hole-unaligned: v3 with guest_memfd's rule that holes on
// hugetlb backing are huge-page aligned.
import { punch_hole } from './_punch_hole.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(punch_hole, {
  name: 'punch-hole-unaligned-fixed',
  description: 'The fixed twin of punch-hole-unaligned: the unaligned hole fails with -EINVAL and nothing is split, in every interleaving (2 preemptions).',
  variant: 'v3-cross-boundary',
  knobs: { punch_hole_requires_alignment: true },
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
