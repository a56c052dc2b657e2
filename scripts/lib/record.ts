/** A finding as the CLI reports and stores it. */
export interface FindingRecord {
  readonly kind: string;
  readonly message: string;
  readonly report?: string;
  /** The replay token; empty when there is nothing to replay (a stress trace that
   * did not reproduce on the deterministic scheduler, a scenario that hung, timed
   * out or crashed its worker). */
  readonly token: string;
  readonly originalSteps: number;
  readonly minimalSteps: number;
  readonly trace: string;
}

/** One scenario's outcome in a sweep: what --json, --out and merge carry. */
export interface ScenarioRecord {
  readonly file: string;
  readonly hash: string;
  readonly name: string;
  readonly variant: string;
  readonly strategy: string;
  readonly schedules: number;
  readonly steps: number;
  readonly expected: string;
  /** `clean`, `finding`, or `error`: the scenario could not be judged (its code
   * threw, hung, exited or ran out of time; see verdict.ts). */
  readonly verdict: 'clean' | 'finding' | 'error';
  /** `clean` or the first finding's kind (for an error, what went wrong). */
  readonly found: string;
  /** What the verdict claims: `proved` (every schedule within `bound` preemptions,
   * or every schedule when `bound` is null, was explored), `sampled` (some schedules
   * ran and nothing is claimed of the others) `found`, or `error` (the scenario could not be judged). */
  readonly verdictClass: 'proved' | 'sampled' | 'found' | 'error';
  readonly bound?: number | null;
  /** The verdict in words, e.g. `clean, proved within 2 preemptions (74 schedules)`. */
  readonly claim: string;
  /** The verdict is the expected one (never for an error). */
  readonly met: boolean;
  readonly spteVisits?: number;
  readonly stats: Readonly<Record<string, number | string>>;
  readonly findings: readonly FindingRecord[];
}

/** The sweep settings a record was made under; --resume only reuses matching ones. */
export interface SweepSettings {
  readonly strategy?: string;
  readonly schedules?: number;
  readonly seed?: number | string;
  readonly preemptions?: number;
  /** pct's depth, and the deepest pct of the portfolio. */
  readonly depth?: number;
  readonly time?: number;
  readonly stepTime?: number;
  /** Go on past findings: the first of each kind (--keep-going). */
  readonly keepGoing?: boolean;
  /** Each scenario explored as work items spread over workers and shards (--split). */
  readonly split?: boolean;
}

/** How a report tells the user to replay a finding. */
export function replayCommand(f: Pick<FindingRecord, 'token'>): string {
  return f.token === '' ? '(no replay token: nothing the scheduler can replay)' : `septcheck replay ${f.token}`;
}
