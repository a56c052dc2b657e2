// Sean's rework of RFC v5 08/45: the page stats of a mirror SPTE are updated before
// TDH.MEM.PAGE.AUG, which finds the TDX module busy; the SPTE goes back, the fault
// retries, and the 4K page is counted twice.
import { fault_path } from './_fault_path.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(fault_path, {
  name: 'v5-08-stats-first',
  description: 'A busy TDH.MEM.PAGE.AUG after __handle_changed_spte() counted the new leaf: the fault retries and kvm->stat.pages[4K] counts one page twice.',
  variant: 'v5-08-stats-first',
  faults: { seamcall_busy: 1 },
  expect: 'invariant:page_stats',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
