// Piscina worker: runs one scenario file of a sweep and returns its record.
import { recordOf } from './lib/record-of.ts';
import type { ScenarioRecord } from './lib/record.ts';
import type { SweepTask } from './lib/pool.ts';
import { loadValidScenario } from './lib/scenario-schema.ts';

export default async function runTask(task: SweepTask): Promise<ScenarioRecord> {
  return recordOf(await loadValidScenario(task.file), task.settings);
}
