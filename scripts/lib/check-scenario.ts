// The check a sweep (or list) makes of every file before running any, in a worker:
// load it, check it against the schema, and try its own parameter checks. What the
// file declares wrongly is bad input (exit 2, nothing runs); code that throws, hangs
// or exits while being checked is that scenario's error record (exit 3).
import fc from 'fast-check';
import { boundsOptions, describeThrown, importDefault, jsonDataProblem, Run, safeJson, scenarioShapeProblem, type Scenario, expectedKinds, planSplit } from '../../src/engine/index.ts';
import type { CheckedInfo, SweepTask, TaskResult } from './pool.ts';
import { Phase, watched, type ProbeWriter } from './probe.ts';
import { invariantProblem, paramsProblemLine, schemaProblem } from './scenario-schema.ts';
import { errorRecord, fileInfo } from './verdict.ts';

/** Imports the task's file; its default export, or the error record of a file that
 * cannot be loaded (a syntax error or a throw, told with file:line). */
export async function loadTask(task: SweepTask, probe: ProbeWriter): Promise<{ value: unknown } | { error: TaskResult }> {
  probe.phase(Phase.Load);
  try {
    return { value: await importDefault(task.abs, task.file) };
  } catch (e) {
    return { error: { kind: 'record', record: errorRecord(fileInfo(task), 'load-exception', describeThrown(e)) } };
  } finally {
    probe.phase(Phase.Idle);
  }
}

/** What checking a loaded default export found: fine, bad input (the file declares
 * something wrong), or code of the scenario's that failed while being checked. */
export type CheckOutcome = { readonly kind: 'ok'; readonly scenario: Scenario } | { readonly kind: 'input' | 'broken'; readonly message: string };

/** Checks a scenario file's default export: its shape, the schema, its parameters
 * and their checks, and that an `invariant:<name>` it expects is registered by its
 * set-up. `phase` is told which of the scenario's functions runs (the sweep's
 * watchdog). */
export function checkLoaded(value: unknown, phase: (p: Phase, hook?: string) => void = () => {}): CheckOutcome {
  const input = (message: string): CheckOutcome => ({ kind: 'input', message });
  const broken = (message: string): CheckOutcome => ({ kind: 'broken', message });
  const shape = scenarioShapeProblem(value);
  if (shape !== null) return input(shape);
  const schema = schemaProblem(value);
  if (schema !== null) return input(schema);
  const s = value as Scenario;
  /** Runs one of the scenario's functions under `phase`; a throw is `broken`. */
  const call = <T,>(p: Phase, hook: string, f: () => T): { value: T } | { threw: string } => {
    phase(p, hook);
    try {
      return { value: f() };
    } catch (e) {
      return { threw: describeThrown(e) };
    } finally {
      phase(Phase.Idle);
    }
  };

  if (s.params !== undefined) {
    const data = jsonDataProblem(s.params, 'params');
    if (data !== null) return input(`invalid params: ${data}`);
  }
  if (s.validate !== undefined && s.params !== undefined) {
    const r = call(Phase.Hook, 'validate', () => s.validate!(s.params) as unknown);
    if ('threw' in r) return broken(`validate(params) threw: ${r.threw}`);
    if (typeof r.value === 'string') return input(paramsProblemLine(r.value.split('\n')[0]!));
    if (r.value !== null && r.value !== undefined) return broken(`validate(params) returned ${safeJson(r.value)}, not null or a problem`);
  }
  let params = s.params;
  if (s.paramsArbitrary !== undefined) {
    // Tried once here, so a broken arbitrary is told as such, not as a strategy crash.
    const r = call(Phase.Hook, 'paramsArbitrary', () => fc.sample(s.paramsArbitrary!, { numRuns: 1, seed: 0 })[0]);
    if ('threw' in r) return broken(`paramsArbitrary cannot draw parameters: ${r.threw}`);
    const data = jsonDataProblem(r.value, 'params');
    if (data !== null) return broken(`paramsArbitrary drew parameters that are not JSON data: ${data}`);
    params ??= r.value;
  }
  if (expectedKinds(s.expect).some((k) => k.startsWith('invariant:'))) {
    // A set-up that is never started registers the invariants a schedule checks. One
    // that throws is left for the exploration to report as the scenario's finding.
    const r = call(Phase.Setup, 'setup', () => {
      const run = new Run(() => 0, { maxSteps: s.bounds?.maxSteps ?? 10_000, shared: new Map() });
      s.setup(run, params);
      return run.invariantNames();
    });
    const problem = 'value' in r ? invariantProblem(s.expect, r.value) : null;
    if (problem !== null) return input(`invalid scenario: field 'expect': ${problem}`);
  }
  return { kind: 'ok', scenario: s };
}

export async function checkScenario(task: SweepTask, probe: ProbeWriter): Promise<TaskResult> {
  const loaded = await loadTask(task, probe);
  if ('error' in loaded) return loaded.error;
  const c = checkLoaded(loaded.value, (p, hook) => probe.phase(p, hook));
  if (c.kind === 'input') return { kind: 'input', message: `${task.file}: ${c.message}` };
  const s = loaded.value as Scenario;
  const info = infoOf(task, s);
  if (c.kind === 'broken') return { kind: 'record', record: errorRecord(info, 'setup-exception', c.message) };
  const checked = { kind: 'ok' as const, info: { ...info, description: s.description?.split('\n')[0] ?? '' } };
  if (task.split !== true) return checked;
  // --split: cut the scenario into work items (dfs and dpor run it to do so).
  try {
    return { ...checked, plan: await planSplit(watched(s, probe), boundsOptions(s, task.settings)) };
  } catch (e) {
    return { kind: 'record', record: errorRecord(info, 'exploration-exception', `planning the split threw: ${describeThrown(e)}`) };
  } finally {
    probe.phase(Phase.Idle);
  }
}

function infoOf(task: SweepTask, s: Scenario): Omit<CheckedInfo, 'description'> {
  const strategy = boundsOptions(s, task.settings).strategy;
  const require = s.bounds?.require === 'proved' ? { require: 'proved' as const } : {};
  return { file: task.file, hash: task.hash, name: s.name, variant: s.variant ?? '-', strategy, expected: s.expect, ...require };
}
