// tdx_pamt_put()'s 1->0 transition outside pamt_lock, under a tdx_pamt_get() without the
// TDX_HPA_RANGE_NOT_FREE case (Rick Edgecombe's proposal to drop it, Kirill A.
// Shutemov's race): TD B's get adds the PAMT TD A's put has not removed yet. Two
// threads: TD B does not convert its page.
import { two_tds } from './_two_tds.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(two_tds, {
  name: 'dpamt-put-outside-lock',
  description: "TD A's put takes the shared region's refcount to 0 and stalls before pamt_lock; TD B's get finds 0 and PAMT.ADDs a region still installed (TDX_HPA_RANGE_NOT_FREE).",
  variant: 'dpamt-put-outside-lock',
  params: { convert_b: false },
  expect: 'warn-on',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
