// v3 as posted: PUNCH_HOLE splits the leaves crossing an unaligned hole (v3 16/24),
// where guest_memfd on hugetlb must reject it with -EINVAL.
import { punch_hole } from './_punch_hole.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(punch_hole, {
  name: 'punch-hole-unaligned',
  description: 'An unaligned PUNCH_HOLE on hugetlb backing is accepted and splits the huge leaf instead of failing with -EINVAL.',
  variant: 'v3-cross-boundary',
  expect: 'invariant:punch_hole_alignment',
  bounds: { strategy: 'fastcheck', schedules: 200, maxSteps: 20_000, seed: 1 },
});
