// The DPAMT fast paths as posted from v2 04/12 to v4 08/16 (the put's revert from
// Chao Gao's review of the RFC, 14 May 2025): TD A's put stalls between its 1->0
// decrement and pamt_lock while TD B's get (HPA_RANGE_NOT_FREE: refcount 1) and TD B's
// put (1->0, PAMT.REMOVE) run; TD A's put then REMOVEs again, fails, and its revert
// leaves refcount 1 on a region with no PAMT.
import { two_tds } from './_two_tds.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(two_tds, {
  name: 'dpamt-v4-08',
  description: "A put stalled between atomic_dec_and_test() and pamt_lock while another TD's get and put of the same region complete: its PAMT.REMOVE fails and the revert leaves refcount 1 with no PAMT.",
  variant: 'dpamt-v4-08',
  expect: 'invariant:dpamt_users',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
