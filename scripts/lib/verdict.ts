// What a sweep's outcome means for CI: 0 every verdict met, 1 some verdict missed,
// 2 bad input (decided before anything runs), 3 a scenario could not be judged.
import { meetsExpect } from '../../src/engine/index.ts';
import { basename } from 'node:path';
import type { FindingRecord, ScenarioRecord } from './record.ts';

export const EXIT = { met: 0, missed: 1, input: 2, unjudged: 3 } as const;

/** Kinds that say the scenario could not be judged, besides `*-exception` (its code
 * threw: setup-exception, invariant-exception, thread-exception, load-exception). */
const UNJUDGED = new Set(['timeout', 'hung-thread', 'hung-scenario', 'process-exit', 'scenario-crash', 'missing']);

/** A kind that is no verdict on the design under test, whatever was expected. */
export function unjudged(kind: string): boolean {
  return kind.endsWith('-exception') || UNJUDGED.has(kind);
}

/** The verdict and whether it is the expected one, for the first finding's kind. */
export function judge(found: string, expected: string): Pick<ScenarioRecord, 'verdict' | 'met'> {
  if (found === 'clean') return { verdict: 'clean', met: expected === 'clean' };
  if (unjudged(found)) return { verdict: 'error', met: false };
  return { verdict: 'finding', met: meetsExpect(found, expected) };
}

/** The exit code of a sweep or a merge with these records. */
export function exitCode(records: readonly ScenarioRecord[], complete = true): number {
  if (!complete || records.some((r) => r.verdict === 'error')) return EXIT.unjudged;
  return records.every((r) => r.met) ? EXIT.met : EXIT.missed;
}

/** What an error record knows of its scenario. */
export interface ScenarioInfo {
  readonly file: string;
  readonly hash: string;
  readonly name: string;
  readonly variant: string;
  readonly strategy: string;
  readonly expected: string;
  /** The scenario's bounds require a proof (bounds.require). */
  readonly require?: 'proved';
}

/** What the record of a file that could not be loaded can say: its name, from the file. */
export function fileInfo(task: { file: string; hash: string; settings: { strategy?: string } }): ScenarioInfo {
  return { file: task.file, hash: task.hash, name: basename(task.file).replace(/\.ts$/, ''), variant: '-', strategy: task.settings.strategy ?? '-', expected: '?' };
}

/** The record of a scenario that could not be judged: no exploration result, one
 * finding that says why (nothing to replay). */
export function errorRecord(info: ScenarioInfo, kind: string, message: string, progress: { schedules: number; steps: number } = { schedules: 0, steps: 0 }): ScenarioRecord {
  const finding: FindingRecord = { kind, message, token: '', originalSteps: progress.steps, minimalSteps: progress.steps, trace: '' };
  const { file, hash, name, variant, strategy, expected } = info;
  return {
    file,
    hash,
    name,
    variant,
    strategy,
    expected,
    schedules: progress.schedules,
    steps: progress.steps,
    verdict: 'error',
    found: kind,
    verdictClass: 'error',
    claim: `could not judge: ${kind}`,
    met: false,
    stats: { schedules: progress.schedules },
    findings: [finding],
  };
}
