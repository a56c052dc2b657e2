// A split cache topped up with one DPAMT pair where a 2M split needs two: the split finds it empty under mmu_lock.
import { boundary } from './_boundary.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(boundary, {
  name: 'topup-short',
  description: 'A split cache topped up with one DPAMT pair where a 2M split needs two: the split finds it empty under mmu_lock.',
  variant: 'v5-44-fixed',
  knobs: { topup_short: true },
  expect: 'invariant:caches',
  bounds: { strategy: 'fastcheck', schedules: 200, maxSteps: 20_000, seed: 1 },
});
