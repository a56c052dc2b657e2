import { replayCommand, type ScenarioRecord } from './record.ts';
import { table } from './table.ts';

/** The end-of-sweep table: one row per scenario, then the replay token of each finding. */
export function summary(records: readonly ScenarioRecord[]): string {
  const rows = records.map((r) => [
    r.met ? 'ok' : 'FAIL',
    r.name,
    r.variant,
    r.strategy,
    String(r.schedules),
    r.expected,
    r.found,
    r.findings.length > 0 ? `${r.findings[0]!.minimalSteps} (from ${r.findings[0]!.originalSteps})` : '-',
    r.spteVisits === undefined ? '-' : String(r.spteVisits),
  ]);
  const head = ['', 'scenario', 'variant', 'strategy', 'schedules', 'expected', 'found', 'min steps', 'spte visits'];
  const tokens = records.flatMap((r) => r.findings.map((f) => `  ${r.name}: ${replayCommand(f)}`));
  const met = records.filter((r) => r.met).length;
  return [
    table(head, rows),
    ...(tokens.length > 0 ? ['', 'replay tokens:', ...tokens] : []),
    '',
    `${met} met, ${records.length - met} failed`,
  ].join('\n');
}

/** One plain line per finished scenario, for logs and non-TTY output. */
export function statusLine(r: ScenarioRecord): string {
  const found = r.found === 'clean' ? 'clean' : `${r.found} (${r.findings[0]?.minimalSteps ?? '?'} steps)`;
  return `${r.met ? 'ok  ' : 'FAIL'} ${r.file}: expected ${r.expected}, found ${found} in ${r.schedules} schedule${r.schedules === 1 ? '' : 's'}`;
}
