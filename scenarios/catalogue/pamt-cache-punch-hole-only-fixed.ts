// The fixed twin of pamt-cache-punch-hole-only: RFC v5 44/45 takes pamt_cache_lock in
// the conversion path itself (tdx_gmem_convert()), before mmu_lock.
import { boundary } from './_boundary.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(boundary, {
  name: 'pamt-cache-punch-hole-only-fixed',
  description: 'The fixed twin of pamt-cache-punch-hole-only: every split from the per-VM PAMT cache holds pamt_cache_lock, conversions included; clean in every interleaving (2 preemptions).',
  variant: 'v5-44-fixed',
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
