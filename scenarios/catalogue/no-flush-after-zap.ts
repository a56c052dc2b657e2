// The zap of the converted range is not followed by kvm_flush_remote_tlbs().
import { shared_to_private } from './_shared_to_private.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(shared_to_private, {
  name: 'no-flush-after-zap',
  description: 'No TLB flush after the zap: when the conversion returns, vcpu0 still translates the zapped shared page.',
  variant: 'v5-44-fixed',
  knobs: { flush_after_zap: false },
  expect: 'invariant:tlb',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
