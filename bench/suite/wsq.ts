// SCTBench chess/WorkStealQueue with its injected BUG3 (see _wsq.ts): a push
// overwrites the slot a steal is taking; an item is taken twice.
import { defineScenario } from 'septcheck';
import { wsq_setup } from './_wsq.ts';

export default defineScenario({
  name: 'wsq',
  description: 'CHESS work-stealing queue (SCTBench), BUG3: Push keeps no spare slot, a concurrent Steal takes an overwritten entry',
  tracked: true,
  expect: 'warn-on',
  bounds: { schedules: 20_000, seed: 1 },
  setup: (run) => wsq_setup(run, true),
});
