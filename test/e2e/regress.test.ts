// End to end: `regress add` writes a regression that the test suite then runs, in a
// copy of the checkout (the real scenarios/regressions/ is left alone); a name that
// is taken is refused, not overwritten.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { node, readJson, removeTempDirs, REPO, repoCopy, septcheck, tokenOf } from './helpers.ts';

const BASE = 'scenarios/classic/gfp-kernel-under-rwlock.ts';
const EXAMPLE = 'scenarios/examples/stale-leaf-split.ts';
let copy: string;
let token: string;
let example: string;

beforeAll(async () => {
  copy = repoCopy('regress');
  const sweep = await septcheck(['sweep', BASE, EXAMPLE, '--workers', '1'], copy);
  expect(sweep.code).toBe(0);
  token = tokenOf(sweep.stdout, 'gfp-kernel-under-rwlock');
  example = tokenOf(sweep.stdout, 'stale-leaf-split');
});
afterAll(removeTempDirs);

interface VitestReport {
  readonly success: boolean;
  readonly testResults: readonly { readonly assertionResults: readonly { readonly title: string; readonly status: string }[] }[];
}

describe('septcheck regress add', () => {
  it('writes a regression that the next test run executes, and it passes', async () => {
    const before = readdirSync(join(copy, 'scenarios/regressions')).filter((f) => f.endsWith('.ts'));
    const add = await septcheck(['regress', 'add', token, '--name', 'e2e-gfp-under-rwlock'], copy);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toBe('wrote scenarios/regressions/e2e-gfp-under-rwlock.ts\n');
    const text = readFileSync(join(copy, 'scenarios/regressions/e2e-gfp-under-rwlock.ts'), 'utf8');
    expect(text).toContain('import base from "../classic/gfp-kernel-under-rwlock.ts";');
    expect(text).toContain('kind: "sleep-in-atomic"');
    // The worked example of docs/scenarios.md, pinned as the doc shows.
    const doc = await septcheck(['regress', 'add', example, '--name', 'stale-leaf-split'], copy);
    expect(doc.code).toBe(0);
    const pinned = readFileSync(join(copy, 'scenarios/regressions/stale-leaf-split.ts'), 'utf8');
    expect(readFileSync(join(REPO, 'docs/scenarios.md'), 'utf8')).toContain(`\`\`\`ts\n${pinned}\`\`\``);

    // The suite's own regression test, run in a child process in the copy.
    const vitest = join(copy, 'node_modules/vitest/vitest.mjs');
    const report = join(copy, 'vitest-report.json');
    const run = await node(vitest, ['run', 'test/regressions', '--reporter=json', `--outputFile=${report}`], copy);
    expect(run.code, run.stderr).toBe(0);
    const r = readJson<VitestReport>(report);
    expect(r.success).toBe(true);
    const results = r.testResults.flatMap((f) => f.assertionResults);
    expect(results.find((a) => a.title === 'e2e-gfp-under-rwlock.ts reproduces its finding on its pinned schedule')?.status).toBe('passed');
    // Every regression ran: the ones already there and the new one.
    const ran = results.filter((a) => a.title.endsWith(' reproduces its finding on its pinned schedule')).map((a) => a.title.split(' ')[0]);
    expect(ran.sort()).toEqual([...before, 'e2e-gfp-under-rwlock.ts', 'stale-leaf-split.ts'].sort());
    expect(results.every((a) => a.status === 'passed')).toBe(true);
  });

  it('refuses a name already taken (exit 2), leaving the file as it was', async () => {
    const file = join(copy, 'scenarios/regressions/topup-short.ts');
    const was = readFileSync(file, 'utf8');
    const r = await septcheck(['regress', 'add', token, '--name', 'topup-short'], copy);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('septcheck: scenarios/regressions/topup-short.ts already exists; choose another --name\n');
    expect(readFileSync(file, 'utf8')).toBe(was);
  });

  it('--dir writes elsewhere, and a sweep of that file meets its verdict on the pinned schedule', async () => {
    const add = await septcheck(['regress', 'add', token, '--name', 'pinned', '--dir', 'mine/regressions'], copy);
    expect(add.code).toBe(0);
    expect(existsSync(join(copy, 'mine/regressions/pinned.ts'))).toBe(true);
    expect(readFileSync(join(copy, 'mine/regressions/pinned.ts'), 'utf8')).toContain('import base from "../../scenarios/classic/gfp-kernel-under-rwlock.ts";');
    const sweep = await septcheck(['sweep', 'mine/regressions/pinned.ts', '--workers', '1'], copy);
    expect(sweep.code).toBe(0);
    expect(sweep.stdout).toMatch(/^ok {3}mine\/regressions\/pinned\.ts: expected sleep-in-atomic, found sleep-in-atomic \(2 steps\) in 1 schedule$/m);
  });
});
