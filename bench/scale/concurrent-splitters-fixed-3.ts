// The bench's large scenario: the catalogue's concurrent-splitters-fixed with a third
// splitter, explored exhaustively by plain dfs within three preemptions. One
// exploration big enough to time on one worker and on two (npm run bench, "split"
// rows); `septcheck sweep bench/scale --split` runs it.
import { splitters } from '../../scenarios/catalogue/_splitters.ts';
import { catalogue_scenario } from '../../scenarios/catalogue/_td.ts';

export default catalogue_scenario(splitters, {
  name: 'concurrent-splitters-fixed-3',
  description: 'concurrent-splitters-fixed with three splitters: dfs within three preemptions.',
  variant: 'v3-cross-boundary',
  expect: 'clean',
  params: { splitters: 3 },
  bounds: { strategy: 'dfs', preemptions: 3, schedules: 1_000_000, maxSteps: 5_000, seed: 0 },
});
