import { resolve } from 'node:path';
import { boundsOptions, describeThrown, describeVerdict, explore, makeToken, renderTrace, type LoadedScenario, type Scenario } from '../../src/engine/index.ts';
import { loadTask } from './check-scenario.ts';
import type { SweepTask, TaskResult } from './pool.ts';
import { Phase, type ProbeWriter } from './probe.ts';
import type { ScenarioRecord, SweepSettings } from './record.ts';
import { errorRecord, fileInfo, judge } from './verdict.ts';

/** A sweep's `run` task: explores the (checked) scenario file into its record. What
 * escapes the exploration is the scenario's error, not the worker's. */
export async function exploreScenario(task: SweepTask, probe: ProbeWriter): Promise<TaskResult> {
  const loaded = await loadTask(task, probe);
  if ('error' in loaded) return loaded.error;
  const l: LoadedScenario = { scenario: watched(loaded.value as Scenario, probe), path: task.abs, hash: task.hash };
  try {
    return { kind: 'record', record: await recordOf(l, task.settings, task.tokenRoot, task.file) };
  } catch (e) {
    return { kind: 'record', record: errorRecord(task.info ?? fileInfo(task), 'exploration-exception', `exploring the scenario threw: ${describeThrown(e)}`) };
  } finally {
    probe.phase(Phase.Idle);
  }
}

/** The scenario, telling the probe when its setup and state hash run (the steps and
 * the invariants between them the engine tells it itself). */
function watched(s: Scenario, probe: ProbeWriter): Scenario {
  const stateHash = s.stateHash;
  return {
    ...s,
    setup(run, params) {
      probe.phase(Phase.Setup);
      void run.done.then(() => {
        probe.scheduleDone();
        probe.phase(Phase.Idle);
      });
      s.setup(run, params);
      probe.phase(Phase.Idle);
    },
    ...(stateHash === undefined
      ? {}
      : {
          stateHash(run) {
            probe.phase(Phase.Hook, 'stateHash');
            try {
              return stateHash.call(s, run);
            } finally {
              probe.phase(Phase.Idle);
            }
          },
        }),
  };
}

/** Explores one loaded scenario under its bounds and the sweep's overrides; `file` is
 * how the record names it. */
export async function recordOf(l: LoadedScenario, s: SweepSettings, tokenRoot = '.', file = l.path): Promise<ScenarioRecord> {
  const b = l.scenario.bounds ?? {};
  const opts = boundsOptions(l.scenario, s);
  const { strategy, maxSteps } = opts;
  // No wall-time budget here: --time is the parent's hard limit on this worker, so
  // what a scenario finds never depends on the clock.
  const r = await explore(l.scenario, opts);
  const findings = r.findings.map((f) => ({
    kind: f.kind,
    message: f.message,
    ...(f.report === undefined ? {} : { report: f.report }),
    // Stress findings the shrinker could not turn into a schedule carry no token.
    token: f.details?.replayable === false ? '' : tokenOf(l, f, maxSteps, tokenRoot),
    originalSteps: f.originalSteps ?? f.schedule.steps,
    minimalSteps: f.minimalSteps ?? f.schedule.steps,
    trace: renderTrace(f.trace),
  }));
  const found = r.findings[0]?.kind ?? 'clean';
  const visits = r.stats.spteVisits;
  // A scenario that requires a proof misses its verdict on a sampled clean.
  const proofMissing = found === 'clean' && b.require === 'proved' && r.verdict.class !== 'proved';
  return {
    file,
    hash: l.hash,
    name: l.scenario.name,
    variant: l.scenario.variant ?? '-',
    strategy,
    schedules: r.stats.schedules,
    steps: r.stats.steps,
    expected: l.scenario.expect,
    // A regression whose fix its own exploration confirmed meets its verdict.
    ...(r.fix?.confirmed === true ? { verdict: 'clean' as const, met: true } : judge(found, l.scenario.expect)),
    found,
    verdictClass: r.verdict.class,
    ...(r.verdict.bound === undefined ? {} : { bound: r.verdict.bound }),
    claim:
      r.fix !== undefined
        ? `${r.fix.confirmed ? 'fixed' : 'not fixed'}: ${r.stats.pinned}`
        : describeVerdict(r.verdict, found) + (proofMissing ? ', but the scenario requires proved' : ''),
    ...(proofMissing ? { met: false } : {}),
    ...(typeof visits === 'number' ? { spteVisits: visits } : {}),
    stats: r.stats,
    findings,
  };
}

/** A finding's token; none when it cannot have one (parameters that are not JSON,
 * a thread name a token cannot carry). */
function tokenOf(l: LoadedScenario, f: Parameters<typeof makeToken>[1], maxSteps: number | undefined, root: string): string {
  try {
    return makeToken(l, f, { maxSteps, root: resolve(root) });
  } catch {
    return '';
  }
}
