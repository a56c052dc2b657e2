// The fixed twin of dpamt-put-outside-lock: tdx_pamt_put() is atomic_dec_and_lock()
// (Dave Hansen on RFC v5 16/45; v6 06/11), and tdx_pamt_get() takes the lock for 0->1,
// so a get never finds 0 while a put has yet to remove the PAMT.
import { two_tds } from './_two_tds.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(two_tds, {
  name: 'dpamt-put-outside-lock-fixed',
  description: "The fixed twin of dpamt-put-outside-lock: TD A's put takes 1->0 and removes the PAMT under pamt_lock, TD B's get adds it back after; clean in every interleaving (2 preemptions).",
  variant: 'v5-44-fixed',
  params: { convert_b: false },
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
