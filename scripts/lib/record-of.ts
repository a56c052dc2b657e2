import { DEFAULT_STRATEGY, describeVerdict, explore, makeToken, renderTrace, type LoadedScenario } from '../../src/engine/index.ts';
import type { ScenarioRecord, SweepSettings } from './record.ts';

/** Explores one loaded scenario under its bounds and the sweep's overrides. */
export async function recordOf(l: LoadedScenario, s: SweepSettings): Promise<ScenarioRecord> {
  const b = l.scenario.bounds ?? {};
  const strategy = s.strategy ?? b.strategy ?? DEFAULT_STRATEGY;
  const maxSteps = b.maxSteps;
  // --time bounds the sweep's wall time; it changes how many schedules run, never which.
  const deadline = s.time === undefined ? undefined : performance.now() + s.time * 1000;
  const r = await explore(l.scenario, {
    strategy: strategy as never,
    schedules: s.schedules ?? b.schedules ?? 1000,
    seed: s.seed ?? b.seed ?? 0,
    maxSteps,
    preemptions: s.preemptions ?? b.preemptions,
    depth: s.depth ?? b.depth,
    deepen: b.deepen,
    ...(deadline === undefined ? {} : { stopWhen: () => performance.now() > deadline }),
  });
  const findings = r.findings.map((f) => ({
    kind: f.kind,
    message: f.message,
    ...(f.report === undefined ? {} : { report: f.report }),
    // Stress findings the shrinker could not turn into a schedule carry no token.
    token: f.details?.replayable === false ? '' : makeToken(l, f, { maxSteps }),
    originalSteps: f.originalSteps ?? f.schedule.steps,
    minimalSteps: f.minimalSteps ?? f.schedule.steps,
    trace: renderTrace(f.trace),
  }));
  const found = r.findings[0]?.kind ?? 'clean';
  const visits = r.stats.spteVisits;
  // A scenario that requires a proof misses its verdict on a sampled clean.
  const proofMissing = found === 'clean' && b.require === 'proved' && r.verdict.class !== 'proved';
  return {
    file: l.path,
    hash: l.hash,
    name: l.scenario.name,
    variant: l.scenario.variant ?? '-',
    strategy,
    schedules: r.stats.schedules,
    steps: r.stats.steps,
    expected: l.scenario.expect,
    verdict: found === 'clean' ? 'clean' : 'finding',
    found,
    verdictClass: r.verdict.class,
    ...(r.verdict.bound === undefined ? {} : { bound: r.verdict.bound }),
    claim: describeVerdict(r.verdict, found) + (proofMissing ? ', but the scenario requires proved' : ''),
    met: found === l.scenario.expect && !proofMissing,
    ...(typeof visits === 'number' ? { spteVisits: visits } : {}),
    stats: r.stats,
    findings,
  };
}
