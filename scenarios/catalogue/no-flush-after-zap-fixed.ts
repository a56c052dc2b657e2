// The fixed twin of no-flush-after-zap.
import { shared_to_private } from './_shared_to_private.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(shared_to_private, {
  name: 'no-flush-after-zap-fixed',
  description: 'The fixed twin of no-flush-after-zap: the zap is followed by kvm_flush_remote_tlbs(); clean in every interleaving (2 preemptions).',
  variant: 'v5-44-fixed',
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
