// The fixed twin of v5-44-missing-mutex-init: with mutex_init() in tdx_vm_init() the conversion is clean in every interleaving (2 preemptions).
import { boundary } from './_boundary.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(boundary, {
  name: 'v5-44-fixed',
  description: 'The fixed twin of v5-44-missing-mutex-init: with mutex_init() in tdx_vm_init() the conversion is clean in every interleaving (2 preemptions).',
  variant: 'v5-44-fixed',
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
