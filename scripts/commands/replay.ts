import { replayToken } from '../../src/engine/index.ts';
import { schemaProblem } from '../lib/scenario-schema.ts';
import { writeOutput } from '../lib/discover.ts';
import { htmlReport } from '../lib/html.ts';
import { interleavingTable } from '../lib/interleaving.ts';
import { projectRoot } from '../lib/root.ts';
import { divergedLine, fullTrace, headline, stateDifference, whereLine } from '../lib/report-text.ts';

export interface ReplayOptions {
  readonly html?: string;
  readonly json?: boolean;
}

/** Replays a token: 1 if it raises a finding (the token's, or, where changed code no
 * longer fits its schedule, whatever that code does), 0 if it ran clean. */
export async function replay(token: string, opts: ReplayOptions): Promise<number> {
  // A token names its scenario relative to the project root: replay from anywhere in it.
  const r = await replayToken(token, { root: projectRoot(), check: schemaProblem });
  // The variant the scenario declares: the token names only the file.
  const variant = r.scenario.scenario.variant;
  const f = r.finding;
  const diverged = r.diverged === null ? [] : [divergedLine(r.diverged)];
  if (f === null) {
    if (opts.json) console.log(JSON.stringify({ scenario: r.scenario.path, variant, kind: r.data.kind, reproduced: false, steps: r.run.step, diverged: r.diverged }, null, 2));
    else {
      const noPage = opts.html === undefined ? '' : `; no finding, so no ${opts.html}`;
      console.log([...diverged, `${r.scenario.path}: the schedule ran clean (${r.run.step} steps); ${r.data.kind} did not reproduce${noPage}`].join('\n'));
    }
    return 0;
  }
  const title = `${r.scenario.scenario.name}: ${f.kind}`;
  const where = whereLine(r.scenario.path, variant, f);
  const other = f.kind === r.data.kind ? [] : [`the token's ${r.data.kind} did not reproduce; this schedule now raises ${f.kind}`];
  if (opts.html !== undefined) writeOutput(opts.html, htmlReport(f, title, [where, ...diverged, ...other].join('\n')));
  if (opts.json) {
    const { trace, schedule, ...rest } = f;
    console.log(JSON.stringify({ scenario: r.scenario.path, variant, diverged: r.diverged, ...rest, schedule, trace }, null, 2));
    return 1;
  }
  const diff = stateDifference(f);
  console.log(
    [
      headline(f),
      '',
      where,
      ...diverged,
      ...other,
      '',
      interleavingTable(f),
      ...(diff.length === 0 ? [] : ['', ...diff]),
      '',
      'full trace:',
      fullTrace(f),
      ...(opts.html === undefined ? [] : ['', `wrote ${opts.html}`]),
    ].join('\n'),
  );
  return 1;
}
