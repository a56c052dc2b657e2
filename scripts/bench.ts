// npm run bench: figures measured side by side in one run. Not a test: nothing here
// asserts a timing.
import { benchFcScheduler, benchSeptcheck, STEPS, THREADS } from './bench/engine.ts';
import { table } from './lib/table.ts';

const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(1));

async function engine(): Promise<void> {
  // Warm both up so the JIT has settled before measuring.
  await benchSeptcheck(2_000);
  await benchFcScheduler(2_000);
  const ours = await benchSeptcheck(100_000);
  const theirs = await benchFcScheduler(20_000);
  const ratio = ours.schedulesPerSec / theirs.schedulesPerSec;
  console.log(`Engine: ${THREADS} threads x ${STEPS} steps, shared counter, random schedules\n`);
  console.log(
    table(
      ['engine', 'schedules', 'schedules/s', 'steps/s'],
      [
        ['septcheck', String(ours.schedules), fmt(ours.schedulesPerSec), fmt(ours.stepsPerSec)],
        ['fc.scheduler()', String(theirs.schedules), fmt(theirs.schedulesPerSec), fmt(theirs.stepsPerSec)],
      ],
    ),
  );
  console.log(`\nratio septcheck / fc.scheduler: ${ratio.toFixed(2)}x (goal >= 5x)`);
}

await engine();
