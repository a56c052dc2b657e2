// RFC v5 44/45 as posted: the conversion takes kvm_tdx->pamt_cache_lock, which tdx_vm_init() never mutex_init()ed.
import { boundary } from './_boundary.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(boundary, {
  name: 'v5-44-missing-mutex-init',
  description: 'RFC v5 44/45 as posted: the conversion takes kvm_tdx->pamt_cache_lock, which tdx_vm_init() never mutex_init()ed.',
  variant: 'v5-44',
  expect: 'uninitialized-lock',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
