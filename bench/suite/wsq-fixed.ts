// The clean twin of wsq: Push's capacity check as CHESS wrote it (one spare slot).
import { defineScenario } from 'septcheck';
import { wsq_setup } from './_wsq.ts';

export default defineScenario({
  name: 'wsq-fixed',
  description: 'CHESS work-stealing queue with its correct capacity check: every item taken exactly once',
  tracked: true,
  expect: 'clean',
  bounds: { strategy: 'dpor', schedules: 200_000, preemptions: 3 },
  setup: (run) => wsq_setup(run, false),
});
