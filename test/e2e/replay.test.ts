// End to end: what replay says once the code changes. A token pins the scenario file
// by its content hash, not the code the file imports; fixing that code and replaying
// the token is how a fix is checked on the schedule that failed: exit 0 when it runs
// clean. A changed scenario file is refused (exit 2).
import { appendFileSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, removeTempDirs, septcheck, tempDir, tokenOf } from './helpers.ts';

let dir: string;
let token: string;

beforeAll(async () => {
  dir = tempDir('replay');
  for (const f of ['lost-update.ts', '_counter.ts']) cpSync(join(REPO, 'test/e2e/fixtures/replay-clean', f), join(dir, f));
  const sweep = await septcheck(['sweep', 'lost-update.ts', '--workers', '1'], dir);
  expect(sweep.code).toBe(0);
  token = tokenOf(sweep.stdout, 'lost-update');
});
afterAll(removeTempDirs);

describe('replay after the code changes', () => {
  it('reproduces the finding before the fix (exit 1)', async () => {
    const r = await septcheck(['replay', token], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^invariant:lost-update: both increments returned, but the counter reads 1 \(after step \d+\)$/m);
  });

  it('exits 0 when the same schedule runs clean after a fix to the code the scenario imports', async () => {
    const counter = join(dir, '_counter.ts');
    const buggy = readFileSync(counter, 'utf8');
    expect(buggy).toContain('c.value = seen + 1;');
    // The fix: the store adds to what is there now.
    writeFileSync(counter, buggy.replace('c.value = seen + 1;', 'c.value += 1;'));

    const [text, json, html] = await Promise.all([
      septcheck(['replay', token], dir),
      septcheck(['replay', token, '--json'], dir),
      septcheck(['replay', token, '--html', join(dir, 'clean.html')], dir),
    ]);
    expect([text.code, json.code, html.code]).toEqual([0, 0, 0]);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(/^lost-update\.ts: the schedule ran clean \(\d+ steps\); invariant:lost-update did not reproduce\n$/);
    expect(JSON.parse(json.stdout)).toMatchObject({ scenario: 'lost-update.ts', kind: 'invariant:lost-update', reproduced: false });
    // No finding, no page.
    expect(existsSync(join(dir, 'clean.html'))).toBe(false);
    expect(html.stdout).toContain(`no finding, so no ${join(dir, 'clean.html')}`);

    // Nothing to pin either.
    const pin = await septcheck(['regress', 'add', token, '--name', 'lost-update', '--dir', join(dir, 'regressions')], dir);
    expect(pin.code).toBe(2);
    expect(pin.stderr).toBe("septcheck: the token's schedule runs clean now; nothing to pin\n");
    expect(existsSync(join(dir, 'regressions', 'lost-update.ts'))).toBe(false);
  });

  it('refuses a token whose scenario file changed (exit 2, one line)', async () => {
    appendFileSync(join(dir, 'lost-update.ts'), '// an edit\n');
    const r = await septcheck(['replay', token], dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^septcheck: scenario changed: lost-update\.ts is not the file this token was made from \(hash [0-9a-f]{16}, token [0-9a-f]{16}\); explore it again for a new token\n$/);
  });
});
