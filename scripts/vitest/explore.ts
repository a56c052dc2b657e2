// Explores a matcher's subject under its bounds (overrides first, then SEPTCHECK_*
// from the environment, as the CLI takes them) and words what it found as the CLI
// does: the kernel-style report, the interleaving and the replay token.
import { boundsOptions, describeVerdict, explore, makeToken, type BoundsOverrides, type ExploreResult, type Finding } from '../../src/engine/index.ts';
import { interleavingTable } from '../lib/interleaving.ts';
import { replayCommand } from '../lib/record.ts';
import type { Subject } from './subject.ts';

/** Overrides from SEPTCHECK_STRATEGY, SEPTCHECK_SCHEDULES, SEPTCHECK_SEED and
 * SEPTCHECK_PREEMPTIONS. */
export function envOverrides(env: NodeJS.ProcessEnv = process.env): BoundsOverrides {
  const int = (name: string, min: number): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min) throw new Error(`${name}=${v}: expected an integer >= ${min}`);
    return Number(v);
  };
  const seed = env.SEPTCHECK_SEED;
  const o = {
    strategy: env.SEPTCHECK_STRATEGY || undefined,
    schedules: int('SEPTCHECK_SCHEDULES', 1),
    preemptions: int('SEPTCHECK_PREEMPTIONS', 0),
    seed: seed === undefined || seed === '' ? undefined : /^\d+$/.test(seed) ? Number(seed) : seed,
  };
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export async function exploreSubject(s: Subject, overrides: BoundsOverrides = {}): Promise<ExploreResult> {
  return explore(s.loaded.scenario, boundsOptions(s.loaded.scenario, { ...envOverrides(), ...overrides }));
}

/** What the exploration concluded, in words: `clean, proved ... (14 schedules)`. */
export function claimOf(r: ExploreResult): string {
  return describeVerdict(r.verdict, r.findings[0]?.kind);
}

/** A finding as the CLI's replay prints it, with the command that replays it. */
export function findingReport(s: Subject, f: Finding): string {
  const n = f.schedule.switches.length;
  const variant = s.loaded.scenario.variant ?? 'no variant';
  let token = '';
  if (s.root !== null && f.details?.replayable !== false) {
    try {
      token = makeToken(s.loaded, f, { maxSteps: s.loaded.scenario.bounds?.maxSteps, root: s.root });
    } catch {
      // parameters that are not JSON data, a thread name a token cannot carry: nothing to replay
    }
  }
  return [
    f.report ?? `${f.kind}: ${f.message}`,
    '',
    `scenario ${s.shown} (${variant}), ${f.trace.length} steps, ${n} switch${n === 1 ? '' : 'es'}`,
    '',
    interleavingTable(f),
    '',
    s.root === null ? '(no replay token: give the matcher the scenario file\'s path to get one)' : replayCommand({ token }),
  ].join('\n');
}
