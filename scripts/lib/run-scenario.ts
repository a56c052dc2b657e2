import { explore, loadScenario, type ExploreResult, type Finding, type LoadedScenario } from '../../src/engine/index.ts';

export interface ScenarioOutcome {
  readonly loaded: LoadedScenario;
  readonly strategy: string;
  readonly result: ExploreResult;
  /** `clean` or the kind of the first finding. */
  readonly verdict: string;
  readonly met: boolean;
}

export function verdictOf(findings: readonly Finding[]): string {
  return findings[0]?.kind ?? 'clean';
}

/** Runs one scenario file under its own bounds (or the given overrides). */
export async function runScenarioFile(
  path: string,
  overrides: { strategy?: string; schedules?: number; seed?: number | string } = {},
): Promise<ScenarioOutcome> {
  const loaded = await loadScenario(path);
  const b = loaded.scenario.bounds ?? {};
  const strategy = overrides.strategy ?? b.strategy ?? 'random';
  const result = await explore(loaded.scenario, {
    strategy: strategy as never,
    schedules: overrides.schedules ?? b.schedules ?? 1000,
    seed: overrides.seed ?? b.seed ?? 0,
    maxSteps: b.maxSteps,
    preemptions: b.preemptions,
    depth: b.depth,
  });
  const verdict = verdictOf(result.findings);
  return { loaded, strategy, result, verdict, met: verdict === loaded.scenario.expect };
}
