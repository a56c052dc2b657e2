// SCTBench safestack (see _safestack.ts): an ABA in a lock-free stack; two of three
// threads come to hold the same item.
import { defineScenario } from 'septcheck';
import { safestack_setup } from './_safestack.ts';

export default defineScenario({
  name: 'safestack',
  description: 'SafeStack (SCTBench, from Relacy): an ABA lets a stale compare-and-swap put a held item back on top; two threads hold it',
  expect: 'warn-on',
  bounds: { schedules: 100_000, seed: 1 },
  setup: (run) => safestack_setup(run, false),
});
