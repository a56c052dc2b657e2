import type { Strategy, StrategyOptions } from '../strategy.ts';
import { dfsStrategy } from './dfs.ts';
import { dporStrategy } from './dpor.ts';
import { fastcheckStrategy } from './fastcheck.ts';
import { guidedStrategy } from './guided.ts';
import { pctStrategy } from './pct.ts';
import { portfolioStrategy } from './portfolio.ts';
import { posStrategy } from './pos.ts';
import { randomStrategy } from './random.ts';
import { replayStrategy } from './replay.ts';
import { stressStrategy } from './stress.ts';
import { urwStrategy } from './urw.ts';

const strategies = {
  random: randomStrategy,
  dfs: dfsStrategy,
  pct: pctStrategy,
  fastcheck: fastcheckStrategy,
  dpor: dporStrategy,
  pos: (o: StrategyOptions) => posStrategy(o),
  urw: (o: StrategyOptions) => urwStrategy(o),
  guided: guidedStrategy,
  portfolio: (o: StrategyOptions) => portfolioStrategy(o),
  replay: replayStrategy,
  stress: stressStrategy,
} satisfies Record<string, (o: StrategyOptions) => Strategy>;

export type StrategyName = keyof typeof strategies;
/** What runs when a scenario names no strategy. */
export const DEFAULT_STRATEGY: StrategyName = 'portfolio';
export const strategyNames = Object.keys(strategies) as StrategyName[];

export function createStrategy(name: string, opts: StrategyOptions): Strategy {
  const make = (strategies as Record<string, (o: StrategyOptions) => Strategy>)[name];
  if (make === undefined) throw new Error(`unknown strategy '${name}' (expected one of: ${strategyNames.join(', ')})`);
  return make(opts);
}
