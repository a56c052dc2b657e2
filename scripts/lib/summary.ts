import { replayCommand, type ScenarioRecord } from './record.ts';
import { table } from './table.ts';

/** The end-of-sweep table: one row per scenario, then, with `tokens` (a merge, which
 * printed no finding before), the replay token of each finding. A sweep printed
 * each token as its scenario finished, and prints it once. */
export function summary(records: readonly ScenarioRecord[], { tokens: withTokens = false } = {}): string {
  const rows = records.map((r) => [
    mark(r),
    r.name,
    r.variant,
    r.strategy,
    String(r.schedules),
    r.expected,
    r.found,
    verdictCell(r),
    r.findings.length > 0 && r.findings[0]!.token !== '' ? `${r.findings[0]!.minimalSteps} (from ${r.findings[0]!.originalSteps})` : '-',
    r.spteVisits === undefined ? '-' : String(r.spteVisits),
  ]);
  const head = ['', 'scenario', 'variant', 'strategy', 'schedules', 'expected', 'found', 'verdict', 'min steps', 'spte visits'];
  const tokens = records.flatMap((r) => r.findings.filter((f) => f.token !== '').map((f) => `  ${r.name}: ${replayCommand(f)}`));
  const met = records.filter((r) => r.met).length;
  const errors = records.filter((r) => r.verdict === 'error').length;
  return [
    table(head, rows),
    ...(withTokens && tokens.length > 0 ? ['', 'replay tokens:', ...tokens] : []),
    '',
    `${met} met, ${records.length - met - errors} failed${errors > 0 ? `, ${errors} not judged` : ''}`,
  ].join('\n');
}

/** The verdict class in a table cell: `proved <=2`, `proved` (no bound), `sampled`, `found`. */
function verdictCell(r: ScenarioRecord): string {
  if (r.verdictClass === 'proved') return r.bound === null || r.bound === undefined ? 'proved' : `proved <=${r.bound}`;
  return r.verdictClass ?? '-';
}

/** ok: met; FAIL: missed; ERR: could not be judged. */
const mark = (r: ScenarioRecord) => (r.met ? 'ok' : r.verdict === 'error' ? 'ERR' : 'FAIL');

/** One plain line per finished scenario, for logs and non-TTY output: what was found
 * and what the verdict claims (proved within a bound, or only sampled). */
export function statusLine(r: ScenarioRecord): string {
  const n = `${r.schedules} schedule${r.schedules === 1 ? '' : 's'}`;
  if (r.verdict === 'error') return `ERR  ${r.file}: expected ${r.expected}, could not judge: ${r.found} after ${n}`;
  const what = r.found === 'clean' ? r.claim : `found ${r.found} (${r.findings[0]?.minimalSteps ?? '?'} steps) in ${n}`;
  return `${r.met ? 'ok  ' : 'FAIL'} ${r.file}: expected ${r.expected}, ${what}`;
}
