// The fixed twin of dpamt-v4-08: tdx_pamt_put() is
// atomic_dec_and_lock() (Dave Hansen on RFC v5 16/45; v6 06/11), so the 1->0 transition
// and PAMT.REMOVE happen under pamt_lock.
import { two_tds } from './_two_tds.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(two_tds, {
  name: 'dpamt-v4-08-fixed',
  description: 'The fixed twin of dpamt-v4-08: the put takes 1->0 under pamt_lock; the region is installed exactly while a page uses it, in every interleaving (2 preemptions).',
  variant: 'v5-44-fixed',
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
