import { resolve } from 'node:path';
import {
  boundsOptions,
  describeThrown,
  describeVerdict,
  explore,
  explorePart,
  makeToken,
  reconcile,
  renderTrace,
  type ExploreResult,
  type ExploreStats,
  type Finding,
  type LoadedScenario,
  type Scenario,
  type Verdict,
} from '../../src/engine/index.ts';
import { loadTask } from './check-scenario.ts';
import type { SweepTask, TaskResult } from './pool.ts';
import { Phase, watched, type ProbeWriter } from './probe.ts';
import type { FindingRecord, ScenarioRecord, SweepSettings } from './record.ts';
import { errorRecord, fileInfo, judge, type ScenarioInfo } from './verdict.ts';

/** Loads the task's (checked) scenario file, watched by the probe, and runs `body` on
 * it. What escapes `body` is the scenario's error, not the worker's: an
 * `exploration-exception` record saying `doing` threw. */
async function withLoaded(task: SweepTask, probe: ProbeWriter, doing: string, body: (l: LoadedScenario) => Promise<TaskResult>): Promise<TaskResult> {
  const loaded = await loadTask(task, probe);
  if ('error' in loaded) return loaded.error;
  const l: LoadedScenario = { scenario: watched(loaded.value as Scenario, probe), path: task.abs, hash: task.hash };
  try {
    return await body(l);
  } catch (e) {
    return { kind: 'record', record: errorRecord(task.info ?? fileInfo(task), 'exploration-exception', `${doing} threw: ${describeThrown(e)}`) };
  } finally {
    probe.phase(Phase.Idle);
  }
}

/** A sweep's `run` task: explores the (checked) scenario file into its record. */
export function exploreScenario(task: SweepTask, probe: ProbeWriter): Promise<TaskResult> {
  return withLoaded(task, probe, 'exploring the scenario', async (l) => ({ kind: 'record', record: await recordOf(l, task.settings, task.tokenRoot, task.file) }));
}

/** A `part` task: explores one work item of a split scenario (src/engine/split.ts).
 * A part that cannot be explored is told as its scenario's error record, as a run's
 * would be; the sweep makes it the part's error. */
export function explorePartTask(task: SweepTask, probe: ProbeWriter): Promise<TaskResult> {
  const { plan, item, cap } = task.part!;
  return withLoaded(task, probe, `exploring item ${item + 1} of ${plan.items.length}`, async (l) => {
    const opts = boundsOptions(l.scenario, task.settings);
    const control = task.control === undefined ? undefined : new Float64Array(task.control);
    // Test hook: SEPTCHECK_EXIT_IN_ITEM=k makes the worker exploring item k (from 0)
    // exit, as scenario code calling process.exit() would, to check that a part that
    // dies loses no finding of the others.
    if (process.env.SEPTCHECK_EXIT_IN_ITEM === String(item)) process.exit(70);
    const r = await explorePart(l.scenario, opts, plan, item, { cap, ...(control === undefined ? {} : { liveCap: () => control[0]! }) });
    return { kind: 'part', part: { ...r, findings: findingRecords(l, r.findings, opts.maxSteps, task.tokenRoot) } };
  });
}

/** A `reconcile` task: replays the witnesses of a split scenario's parts together. */
export function reconcileTask(task: SweepTask, probe: ProbeWriter): Promise<TaskResult> {
  return withLoaded(task, probe, "replaying the parts' cross-schedule witnesses", async (l) => {
    const opts = boundsOptions(l.scenario, task.settings);
    const r = await reconcile(l.scenario, opts, task.witnesses ?? []);
    return { kind: 'reconciled', reconciled: { ...r, findings: findingRecords(l, r.findings, opts.maxSteps, task.tokenRoot) } };
  });
}

/** Explores one loaded scenario under its bounds and the sweep's overrides; `file` is
 * how the record names it. */
export async function recordOf(l: LoadedScenario, s: SweepSettings, tokenRoot = '.', file = l.path): Promise<ScenarioRecord> {
  const opts = boundsOptions(l.scenario, s);
  // No wall-time budget here: --time is the parent's hard limit on this worker, so
  // what a scenario finds never depends on the clock.
  const r = await explore(l.scenario, opts);
  return scenarioRecord(infoOf(l, s, file), { ...r, findings: findingRecords(l, r.findings, opts.maxSteps, tokenRoot) });
}

/** What a record says of its scenario, besides what exploring it found. */
export function infoOf(l: LoadedScenario, s: SweepSettings, file = l.path): ScenarioInfo {
  const b = l.scenario.bounds ?? {};
  return {
    file,
    hash: l.hash,
    name: l.scenario.name,
    variant: l.scenario.variant ?? '-',
    strategy: boundsOptions(l.scenario, s).strategy,
    expected: l.scenario.expect,
    ...(b.require === 'proved' ? { require: 'proved' as const } : {}),
  };
}

/** Findings as the CLI stores them: shrunk already, each with its token. */
export function findingRecords(l: LoadedScenario, findings: readonly Finding[], maxSteps: number | undefined, tokenRoot: string): FindingRecord[] {
  return findings.map((f) => ({
    kind: f.kind,
    message: f.message,
    ...(f.report === undefined ? {} : { report: f.report }),
    // Stress findings the shrinker could not turn into a schedule carry no token.
    token: f.details?.replayable === false ? '' : tokenOf(l, f, maxSteps, tokenRoot),
    originalSteps: f.originalSteps ?? f.schedule.steps,
    minimalSteps: f.minimalSteps ?? f.schedule.steps,
    trace: renderTrace(f.trace),
  }));
}

/** A scenario's record from what exploring it found (whole, or its parts merged). */
export function scenarioRecord(
  info: ScenarioInfo,
  r: { readonly findings: readonly FindingRecord[]; readonly stats: ExploreStats; readonly verdict: Verdict; readonly fix?: ExploreResult['fix'] },
): ScenarioRecord {
  const found = r.findings[0]?.kind ?? 'clean';
  const visits = r.stats.spteVisits;
  // A scenario that requires a proof misses its verdict on a sampled clean.
  const proofMissing = found === 'clean' && info.require === 'proved' && r.verdict.class !== 'proved';
  return {
    file: info.file,
    hash: info.hash,
    name: info.name,
    variant: info.variant,
    strategy: info.strategy,
    schedules: r.stats.schedules,
    steps: r.stats.steps,
    expected: info.expected,
    // A regression whose fix its own exploration confirmed meets its verdict.
    ...(r.fix?.confirmed === true ? { verdict: 'clean' as const, met: true } : judge(found, info.expected)),
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
    findings: [...r.findings],
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
