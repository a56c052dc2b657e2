export * from './types.ts';
// fast-check as scenarios use it (paramsArbitrary), so a scenario needs only 'septcheck'.
export { default as fc } from 'fast-check';
export { Run, cpuKey, exitKey, type CheckHandle, type Chooser, type ChoicePoint, type Invariant, type RunOptions } from './run.ts';
export type { StepProbe } from './watchdog.ts';
export { SimThread, START } from './thread.ts';
export { AsyncRun, NEVER } from './stress/async_run.ts';
export { StressRun } from './stress/run.ts';
export type { Pinned, Program } from './program.ts';
export type { Driver, RunScheduleOptions, Strategy, StrategyOptions } from './strategy.ts';
export { explore, Exploration, type ExploreOptions, type ExploreResult, type ExploreStats } from './explore.ts';
export { createStrategy, DEFAULT_STRATEGY, strategyNames, type StrategyName } from './strategies/index.ts';
export { followSchedule, sameSchedule, ScheduleDivergence } from './schedule.ts';
export { renderTrace, renderOps, opLabel, headline } from './trace.ts';
export { canonical, hashText, stableHash } from './hash.ts';
export { describeThrown, oneLine, safeJson, thrownAt } from './thrown.ts';
export { ENGINE_KINDS } from './kinds.ts';
export { boundsOptions, DEFAULT_SCHEDULES, type BoundsOverrides } from './bounds.ts';
export { defineScenario, expectedKinds, meetsExpect, loadScenario, scenarioFileHash, type Scenario, type ScenarioInput, type LoadedScenario, type Bounds } from './scenario.ts';
export { shrinkFinding, type ShrinkOptions, type ShrinkResult } from './shrink.ts';
export { makeToken, encodeToken, decodeToken, TokenError, TOKEN_PREFIX, TOKEN_LIMITS, type TokenData } from './token.ts';
export { replayToken, type Replayed, type ReplayTokenOptions } from './replay-token.ts';
export { resolveScenarioFile, scenarioPathProblem, defaultExportsValue } from './token-path.ts';
export { checkTokenParams, jsonDataProblem, validateParams, PARAMS_LIMITS } from './token-params.ts';
export { importDefault, describeLoadError, scenarioShapeProblem, LoadError } from './load.ts';
export { footprintOf, conflicts, ANY_READ, ANY_WRITE } from './dpor/footprint.ts';
export { Cell, tracked } from './tracked.ts';
export { describeVerdict, type Verdict } from './explore.ts';
export { checksOf, setChecks, type Checks } from './checks.ts';
export { faultClasses, faultClassName, faultEnabled, faultKey, faultsInjected, nameFaultClass, setFaults, shouldFail, spawnInjectors, type Faults } from './faults.ts';
export { defineRegression, type RegressionPin } from './regression.ts';
export { captureStack, displayPath, isInternalFrame, parseStack, stackOf, thrownFrames, type StackFrame } from './stack.ts';
export { describeState, footprintLabel, uniqueFootprints, type Describer } from './state.ts';
export { followBlocks, scheduleDifference } from './schedule.ts';
export { followTraced, retrace, type Followed } from './traced.ts';
export type { ReportContext, Reporter, StuckThread } from './run.ts';
export { isCrossSchedule, type CrossSchedule, type Witness } from './explore.ts';
export {
  capFor,
  explorePart,
  exploreSplit,
  itemSeed,
  mergeParts,
  planSplit,
  reconcile,
  relevant,
  resolveParts,
  SAMPLER_ITEM,
  SPLIT_TARGET,
  witnessesToReconcile,
  type PartOptions,
  type PartOutcome,
  type PartResult,
  type Reconciled,
  type Resolution,
  type SplitOptions,
  type SplitPlan,
  type WorkItem,
} from './split.ts';
