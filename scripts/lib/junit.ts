import { replayCommand, type ScenarioRecord } from './record.ts';

// XML 1.0 has no escape for most control characters: drop them (ANSI colour codes,
// say), then escape the markup.
const esc = (s: string) =>
  s
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

/** Test case names that tell scenarios apart: each file's path below the folder all
 * of them share, without `.ts` (`catalogue/topup-short`, `regressions/topup-short`;
 * a regression has its scenario's name). */
export function caseNames(files: readonly string[]): string[] {
  const dirs = files.map((f) => f.split('/').slice(0, -1));
  let shared = 0;
  while (dirs.length > 0 && dirs.every((d) => d.length > shared && d[shared] === dirs[0]![shared])) shared++;
  return files.map((f) => f.split('/').slice(shared).join('/').replace(/\.ts$/, ''));
}

/** JUnit XML: one testcase per scenario; a scenario that missed its verdict is a
 * failure, one that could not be judged an error. */
export function junit(records: readonly ScenarioRecord[]): string {
  const errors = records.filter((r) => r.verdict === 'error').length;
  const failures = records.filter((r) => !r.met).length - errors;
  const names = caseNames(records.map((r) => r.file));
  const cases = records.map((r, i) => {
    const head = `  <testcase classname="${esc(r.variant)}" name="${esc(names[i]!)}" file="${esc(r.file)}">`;
    const out = r.findings.map((f) => `${f.kind}: ${f.message}\nreplay: ${replayCommand(f)}`).join('\n\n');
    const body = r.met
      ? ''
      : r.verdict === 'error'
        ? `\n    <error message="${esc(`expected ${r.expected}, could not judge: ${r.found}`)}">${esc(out)}</error>`
        : `\n    <failure message="${esc(`expected ${r.expected}, found ${r.found}`)}">${esc(out)}</failure>`;
    const sys = out === '' ? '' : `\n    <system-out>${esc(out)}</system-out>`;
    const props = [['verdict', r.verdictClass], ['bound', r.bound === undefined ? undefined : r.bound === null ? 'none' : String(r.bound)], ['claim', r.claim], ['schedules', String(r.schedules)]]
      .filter((p): p is [string, string] => p[1] !== undefined)
      .map(([k, v]) => `\n      <property name="${k}" value="${esc(v)}"/>`)
      .join('');
    return `${head}\n    <properties>${props}\n    </properties>${body}${sys}\n  </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="septcheck" tests="${records.length}" failures="${failures}" errors="${errors}">`,
    `<testsuite name="sweep" tests="${records.length}" failures="${failures}" errors="${errors}">`,
    ...cases,
    '</testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
