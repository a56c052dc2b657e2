// The fixed twin of v5-08-stats-first: the stats only once set_external_spte() succeeded.
import { fault_path } from './_fault_path.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(fault_path, {
  name: 'v5-08-stats-first-fixed',
  description: 'The fixed twin of v5-08-stats-first: a busy SEAMCALL leaves the stats alone, the retry counts the page once; clean whichever SEAMCALL is busy, in every interleaving (2 preemptions).',
  variant: 'v5-08-stats-after',
  faults: { seamcall_busy: 1 },
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
