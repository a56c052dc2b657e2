// The check a sweep (or list) makes of every file before running any, in a worker:
// load it, check it against the schema, and try its own parameter checks. What the
// file declares wrongly is bad input (exit 2, nothing runs); code that throws, hangs
// or exits while being checked is that scenario's error record (exit 3).
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describeThrown, importDefault, jsonDataProblem, safeJson, scenarioShapeProblem, type Scenario } from '../../src/engine/index.ts';
import type { CheckedInfo, SweepTask, TaskResult } from './pool.ts';
import { Phase, type ProbeWriter } from './probe.ts';
import { paramsProblemLine, schemaProblem } from './scenario-schema.ts';
import { errorRecord, fileInfo } from './verdict.ts';

/** Imports the task's file; its default export, or the error record of a file that
 * cannot be loaded (a syntax error or a throw, told with file:line). */
export async function loadTask(task: SweepTask, probe: ProbeWriter): Promise<{ value: unknown } | { error: TaskResult }> {
  probe.phase(Phase.Load);
  try {
    return { value: await importDefault(resolve(task.file), task.file) };
  } catch (e) {
    return { error: { kind: 'record', record: errorRecord(fileInfo(task), 'load-exception', describeThrown(e)) } };
  } finally {
    probe.phase(Phase.Idle);
  }
}

export async function checkScenario(task: SweepTask, probe: ProbeWriter): Promise<TaskResult> {
  const loaded = await loadTask(task, probe);
  if ('error' in loaded) return loaded.error;
  const input = (problem: string): TaskResult => ({ kind: 'input', message: `${task.file}: ${problem}` });
  const shape = scenarioShapeProblem(loaded.value);
  if (shape !== null) return input(shape);
  const schema = schemaProblem(loaded.value);
  if (schema !== null) return input(schema);
  const s = loaded.value as Scenario;
  const info = infoOf(task, s);
  const broken = (message: string): TaskResult => ({ kind: 'record', record: errorRecord(info, 'setup-exception', message) });

  if (s.params !== undefined) {
    const data = jsonDataProblem(s.params, 'params');
    if (data !== null) return input(`invalid params: ${data}`);
  }
  if (s.validate !== undefined && s.params !== undefined) {
    probe.phase(Phase.Hook, 'validate');
    let r: unknown;
    try {
      r = s.validate(s.params);
    } catch (e) {
      return broken(`validate(params) threw: ${describeThrown(e)}`);
    } finally {
      probe.phase(Phase.Idle);
    }
    if (typeof r === 'string') return input(paramsProblemLine(r.split('\n')[0]!));
    if (r !== null && r !== undefined) return broken(`validate(params) returned ${safeJson(r)}, not null or a problem`);
  }
  if (s.paramsArbitrary !== undefined) {
    // Tried once here, so a broken arbitrary is told as such, not as a strategy crash.
    probe.phase(Phase.Hook, 'paramsArbitrary');
    let drawn: unknown;
    try {
      drawn = fc.sample(s.paramsArbitrary, { numRuns: 1, seed: 0 })[0];
    } catch (e) {
      return broken(`paramsArbitrary cannot draw parameters: ${describeThrown(e)}`);
    } finally {
      probe.phase(Phase.Idle);
    }
    const data = jsonDataProblem(drawn, 'params');
    if (data !== null) return broken(`paramsArbitrary drew parameters that are not JSON data: ${data}`);
  }
  return { kind: 'ok', info: { ...info, description: s.description?.split('\n')[0] ?? '' } };
}

function infoOf(task: SweepTask, s: Scenario): Omit<CheckedInfo, 'description'> {
  const strategy = task.settings.strategy ?? s.bounds?.strategy ?? 'random';
  return { file: task.file, hash: task.hash, name: s.name, variant: s.variant ?? '-', strategy, expected: s.expect };
}
