import { writeFileSync } from 'node:fs';
import { renderTrace, replayToken } from '../../src/engine/index.ts';
import { htmlReport } from '../lib/html.ts';
import { interleavingTable } from '../lib/interleaving.ts';

export interface ReplayOptions {
  readonly html?: string;
  readonly json?: boolean;
}

/** Replays a token; 1 if the finding reproduces, 0 if the schedule ran clean. */
export async function replay(token: string, opts: ReplayOptions): Promise<number> {
  const r = await replayToken(token);
  const f = r.finding;
  if (f === null) {
    console.log(`${r.scenario.path}: the schedule ran clean; ${r.data.kind} did not reproduce`);
    return 0;
  }
  const title = `${r.scenario.scenario.name}: ${f.kind}`;
  if (opts.html !== undefined) writeFileSync(opts.html, htmlReport(f, title));
  if (opts.json) {
    const { trace, schedule, ...rest } = f;
    console.log(JSON.stringify({ scenario: r.scenario.path, variant: r.data.variant, ...rest, schedule, trace }, null, 2));
    return 1;
  }
  const diff = f.details?.diff;
  console.log(
    [
      f.report ?? `${f.kind}: ${f.message}`,
      '',
      `scenario ${r.scenario.path} (${r.data.variant ?? 'no variant'}), ${f.trace.length} steps, ${f.schedule.switches.length} switches`,
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
