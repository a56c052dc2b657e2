// SCTBench chess/InterlockedWorkStealQueue: the work-stealing queue of wsq.ts with a
// lock made of an atomic exchange loop, and the same injected BUG3 (see _wsq.ts).
import { defineScenario } from 'septcheck';
import { wsq_setup } from './_wsq.ts';

export default defineScenario({
  name: 'iwsq',
  description: 'CHESS interlocked work-stealing queue (SCTBench), BUG3: Push keeps no spare slot, a concurrent Steal takes an overwritten entry',
  tracked: true,
  expect: 'warn-on',
  bounds: { schedules: 20_000, seed: 1 },
  setup: (run) => wsq_setup(run, true, true),
});
