// End to end: `regress add` writes a regression that the test suite then runs, in a
// copy of the checkout (the real scenarios/regressions/ is left alone); a name that
// is taken is refused, not overwritten.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeToken, encodeToken, type RegressionPin, type Scenario } from '../../src/engine/index.ts';
import { regressionSource } from '../../scripts/lib/regression-source.ts';
import { node, readJson, removeTempDirs, REPO, repoCopy, septcheck, tempDir, tokenOf } from './helpers.ts';

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

describe('regress add with hostile data', () => {
  /** Every JavaScript line terminator and the comment, template and string enders:
   * as code, each of these would end the literal and run what follows. */
  const HOSTILE = "x\u2028globalThis.__pwned = 1; //\u2029 */ globalThis.__pwned = 2; /* `${globalThis.__pwned = 3}` \"); globalThis.__pwned = 4; (\" '); globalThis.__pwned = 5; (' \r\\";
  const ECHO = `import { defineScenario } from 'septcheck';
export default defineScenario({
  name: 'echo',
  expect: 'invariant:echo',
  params: { label: 'plain' },
  validate: (p) => (typeof p.label === 'string' && p.label.length <= 400 ? null : 'params.label: not a short string'),
  setup(run, p) {
    run.spawn('T0', async () => { await run.point({ kind: 'a', obj: 'x' }); });
    run.invariant('echo', () => (run.step > 0 ? \`saw \${p.label}\` : null));
  },
});
`;

  it('round-trips hostile params and messages as data: the file imports to the same values and runs nothing else', async () => {
    const dir = tempDir('hostile');
    writeFileSync(join(dir, 'echo.ts'), ECHO);
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const sweep = await septcheck(['sweep', 'echo.ts', '--workers', '1'], dir);
    expect(sweep.code).toBe(0);
    // The same finding with a hostile label: a token anyone could write.
    const data = decodeToken(tokenOf(sweep.stdout, 'echo'));
    const token = encodeToken({ ...data, params: { label: HOSTILE } });
    const add = await septcheck(['regress', 'add', token, '--name', 'echo-pinned', '--dir', 'regressions'], dir);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const file = join(dir, 'regressions/echo-pinned.ts');
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/[\r\u2028\u2029]/);
    expect(text.split('\n').filter((l) => l.startsWith('//')).join('\n')).not.toContain('globalThis');

    const mod = (await import(pathToFileURL(file).href)) as { pin: RegressionPin; default: Scenario };
    expect((globalThis as { __pwned?: unknown }).__pwned).toBeUndefined();
    expect(mod.pin.params).toEqual({ label: HOSTILE });
    expect(mod.pin.reproduces).toBe(`saw ${HOSTILE} (after step 0)`);
    expect(mod.pin).toMatchObject({ name: 'echo-pinned', kind: 'invariant:echo', from: { path: 'echo.ts', hash: data.scenario.hash }, schedule: data.schedule });
    expect(mod.default.expect).toBe('invariant:echo');
    // And the regression does its job.
    const again = await septcheck(['sweep', 'regressions/echo-pinned.ts', '--workers', '1'], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^ok {3}regressions\/echo-pinned\.ts: expected invariant:echo, found invariant:echo \(1 steps\) in 1 schedule$/m);
  });

  it('regressionSource writes any pin as literals that import back unchanged', async () => {
    const dir = tempDir('source');
    writeFileSync(join(dir, 'base.ts'), ECHO);
    const odd = [HOSTILE, '\u2028', '\u2029', '*/', '`', '${', '\n', '\u0000', '</script>'];
    const pin: RegressionPin = {
      name: HOSTILE,
      kind: odd.join(''),
      reproduces: odd.join(' '),
      from: { path: HOSTILE, hash: '0123456789abcdef' },
      params: { label: HOSTILE, list: odd, nested: { [HOSTILE]: [1, null, true] } },
      maxSteps: 7,
      schedule: { steps: 9, switches: odd.map((s, i) => ({ step: i, thread: s, op: s })) },
      prelude: [{ steps: 1, switches: [{ step: 0, thread: HOSTILE, op: '*/' }] }],
    };
    const file = join(dir, 'pinned.ts');
    writeFileSync(file, regressionSource('./base.ts', pin));
    const mod = (await import(pathToFileURL(file).href)) as { pin: RegressionPin };
    expect((globalThis as { __pwned?: unknown }).__pwned).toBeUndefined();
    expect(mod.pin).toEqual(pin);
  });
});
