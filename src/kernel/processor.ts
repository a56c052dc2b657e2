// Busy-waiting (include/linux/processor.h): a spin on a condition is one scheduling
// point that waits until the condition holds. Spinning round and round would only
// repeat the same steps (the code is deterministic), so nothing is lost by waiting
// for the state to change instead; a spin nobody ends is a `deadlock` naming it.
import type { Footprint } from '../engine/index.ts';
import { current } from './task.ts';

// spin_until_cond() in include/linux/processor.h. `what` names the spin in traces;
// `reads` is what the condition reads (e.g. atomic_t's fp_read), for dpor and POS.
export async function spin_until_cond(cond: () => boolean, what = 'cond', reads: readonly Footprint[] = []): Promise<void> {
  await current().k.run.point({ kind: 'spin_until_cond', obj: what, footprint: reads, waitsOn: () => (cond() ? null : []) });
}
