// The clean twin of safestack (septcheck's own; SCTBench has none): the head carries
// a version that every swing bumps, the textbook fix of the ABA (see _safestack.ts).
import { defineScenario } from 'septcheck';
import { safestack_setup } from './_safestack.ts';

export default defineScenario({
  name: 'safestack-fixed',
  description: 'SafeStack with a versioned head (a Treiber stack with tags): no thread ever reads back another id',
  expect: 'clean',
  bounds: { strategy: 'dpor', schedules: 200_000, preemptions: 2 },
  setup: (run) => safestack_setup(run, true),
});
