// Piscina worker: checks or explores one scenario file of a sweep (or one work item
// of a split one). Its progress goes
// to the task's probe, which the parent reads to stop a scenario that hangs.
import { Run } from '../src/engine/index.ts';
import { checkScenario } from './lib/check-scenario.ts';
import type { SweepTask, TaskResult } from './lib/pool.ts';
import { ProbeWriter } from './lib/probe.ts';
import { explorePartTask, exploreScenario, reconcileTask } from './lib/record-of.ts';

export default async function runTask(task: SweepTask & { probe: SharedArrayBuffer }): Promise<TaskResult> {
  const probe = new ProbeWriter(task.probe);
  // A task that failed mid-schedule may have left its run live in this worker.
  Run.live = null;
  Run.probe = probe;
  try {
    switch (task.kind) {
      case 'check':
        return await checkScenario(task, probe);
      case 'part':
        return await explorePartTask(task, probe);
      case 'reconcile':
        return await reconcileTask(task, probe);
      default:
        return await exploreScenario(task, probe);
    }
  } finally {
    Run.probe = null;
  }
}
