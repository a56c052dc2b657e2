import { renderTrace, replayToken } from '../../src/engine/index.ts';
import { schemaProblem } from '../lib/scenario-schema.ts';
import { writeOutput } from '../lib/discover.ts';
import { htmlReport } from '../lib/html.ts';
import { interleavingTable } from '../lib/interleaving.ts';
import { projectRoot } from '../lib/root.ts';

export interface ReplayOptions {
  readonly html?: string;
  readonly json?: boolean;
}

/** Replays a token; 1 if the finding reproduces, 0 if the schedule ran clean. */
export async function replay(token: string, opts: ReplayOptions): Promise<number> {
  // A token names its scenario relative to the project root: replay from anywhere in it.
  const r = await replayToken(token, { root: projectRoot(), check: schemaProblem });
  // The variant the scenario declares: the token names only the file.
  const variant = r.scenario.scenario.variant;
  const f = r.finding;
  if (f === null) {
    if (opts.json) console.log(JSON.stringify({ scenario: r.scenario.path, variant, kind: r.data.kind, reproduced: false, steps: r.run.step }, null, 2));
    else console.log(`${r.scenario.path}: the schedule ran clean (${r.run.step} steps); ${r.data.kind} did not reproduce${opts.html === undefined ? '' : `; no finding, so no ${opts.html}`}`);
    return 0;
  }
  const title = `${r.scenario.scenario.name}: ${f.kind}`;
  const n = f.schedule.switches.length;
  const where = `scenario ${r.scenario.path} (${variant ?? 'no variant'}), ${f.trace.length} steps, ${n} switch${n === 1 ? '' : 'es'}`;
  if (opts.html !== undefined) writeOutput(opts.html, htmlReport(f, title, where));
  if (opts.json) {
    const { trace, schedule, ...rest } = f;
    console.log(JSON.stringify({ scenario: r.scenario.path, variant, ...rest, schedule, trace }, null, 2));
    return 1;
  }
  const diff = f.details?.diff;
  console.log(
    [
      f.report ?? `${f.kind}: ${f.message}`,
      '',
      where,
      '',
      interleavingTable(f),
      ...(diff === undefined ? [] : ['', 'state difference:', typeof diff === 'string' ? diff : JSON.stringify(diff, null, 2)]),
      '',
      'full trace:',
      renderTrace(f.trace),
      ...(opts.html === undefined ? [] : ['', `wrote ${opts.html}`]),
    ].join('\n'),
  );
  return 1;
}
