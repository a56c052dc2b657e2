// End to end: scenario code that throws anything, returns garbage, exits, hangs or
// runs out of time is an error of that scenario (exit 3), never of the sweep: the
// sweep finishes and reports every other scenario as usual.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeToken } from '../../src/engine/index.ts';
import { readJson, removeTempDirs, septcheck, tempDir, write, type Result, type SweepRecord } from './helpers.ts';

const HEAD = "import { defineScenario } from 'septcheck';\n";
/** A scenario with one thread T0 that takes the points `a(x)` then `b(x)`, then runs `tail`. */
const oneThread = (name: string, fields: string, tail = '') =>
  `${HEAD}export default defineScenario({
  name: '${name}',
  expect: 'clean',
  bounds: { strategy: 'dfs', schedules: 10 },
  ${fields}
  setup(run) {
    run.spawn('T0', async () => {
      await run.point({ kind: 'a', obj: 'x' });
      await run.point({ kind: 'b', obj: 'x' });
      ${tail}
    });
  },
});
`;
const NULL_PROTO = 'Object.create(null)';
const BAD_TO_STRING = "({ toString() { throw new Error('toString exploded'); } })";

/** name, file text, expected kind, expected message (a RegExp), in this order. */
const BROKEN: [string, string, string, RegExp][] = [
  [
    'invariant-throws',
    `${HEAD}export default defineScenario({ name: 'invariant-throws', expect: 'clean', bounds: { strategy: 'dfs', schedules: 10 },
  setup(run) {
    run.spawn('T0', async () => { await run.point({ kind: 'a' }); });
    run.invariant('boom', () => { if (run.step > 0) throw new Error('the invariant blew up'); return null; });
  },
});
`,
    'invariant-exception',
    /^invariant boom threw: the invariant blew up \(after step 0\)$/,
  ],
  ['statehash-throws', oneThread('statehash-throws', `stateHash() { throw ${NULL_PROTO}; },`), 'invariant-exception', /^stateHash threw: a value that cannot be printed \(an object with a null prototype\)$/],
  ['thread-throws-null-proto', oneThread('thread-throws-null-proto', '', `throw ${NULL_PROTO};`), 'thread-exception', /^thread T0 threw: a value that cannot be printed \(an object with a null prototype\)$/],
  ['thread-throws-bad-tostring', oneThread('thread-throws-bad-tostring', '', `throw ${BAD_TO_STRING};`), 'thread-exception', /^thread T0 threw: a value that cannot be printed \(an Object\)$/],
  [
    'setup-throws-null-proto',
    `${HEAD}export default defineScenario({ name: 'setup-throws-null-proto', expect: 'clean', setup() { throw ${NULL_PROTO}; } });\n`,
    'setup-exception',
    /^setup threw for params undefined: a value that cannot be printed \(an object with a null prototype\)$/,
  ],
  [
    'setup-throws-bad-tostring',
    `${HEAD}export default defineScenario({ name: 'setup-throws-bad-tostring', expect: 'clean', setup() { throw ${BAD_TO_STRING}; } });\n`,
    'setup-exception',
    /^setup threw for params undefined: a value that cannot be printed \(an Object\)$/,
  ],
  [
    'setup-duplicate-thread',
    `${HEAD}export default defineScenario({ name: 'setup-duplicate-thread', expect: 'clean', setup(run) { run.spawn('a', () => {}); run.spawn('a', () => {}); } });\n`,
    'setup-exception',
    /^setup threw for params undefined: duplicate thread name 'a'$/,
  ],
  ['validate-throws', oneThread('validate-throws', "params: { n: 1 }, validate() { throw new Error('validate blew up'); },"), 'setup-exception', /^validate\(params\) threw: validate blew up$/],
  ['validate-42', oneThread('validate-42', 'params: { n: 1 }, validate: () => 42,'), 'setup-exception', /^validate\(params\) returned 42, not null or a problem$/],
  ['garbage-arbitrary', oneThread('garbage-arbitrary', 'paramsArbitrary: { generate: 42 },'), 'setup-exception', /^paramsArbitrary cannot draw parameters: /],
  ['exit-in-thread', oneThread('exit-in-thread', '', 'process.exit(7);'), 'process-exit', /^scenario code called process\.exit\(7\) in thread T0 after b\(x\) \(step 2\)$/],
  ['exit-at-import', `${HEAD}process.exit(5);\nexport default defineScenario({ name: 'exit-at-import', expect: 'clean', setup() {} });\n`, 'process-exit', /^scenario code called process\.exit\(5\) while loading the file$/],
  // Line 3, column 60: a missing comma between two fields.
  ['syntax-error', `${HEAD}\nexport default defineScenario({ name: 'x', expect: 'clean' setup() {} });\n`, 'load-exception', /syntax-error\.ts:3:60: syntax error: Expected "}" but found "setup"$/],
  ['throws-at-import', `${HEAD}const x: number = 1;\nthrow new Error('no import for you');\nexport default defineScenario({ name: 'x', expect: 'clean', setup() {} });\n`, 'load-exception', /throws-at-import\.ts:3:7: threw while loading: no import for you$/],
  ['sync-loop', oneThread('sync-loop', '', 'for (;;) {}'), 'hung-thread', /^thread T0 never yielded: it ran 1s past its scheduling point b\(x\) \(step 2\) without reaching another$/],
  ['microtask-loop', oneThread('microtask-loop', '', 'for (;;) await Promise.resolve();'), 'hung-thread', /^thread T0 never yielded: it ran 1s past its scheduling point b\(x\) \(step 2\) without reaching another$/],
  ['invariant-loop', `${HEAD}export default defineScenario({ name: 'invariant-loop', expect: 'clean', setup(run) { run.spawn('T0', async () => { await run.point({ kind: 'a' }); }); run.invariant('spin', () => { if (run.step > 0) for (;;) {} return null; }); } });\n`, 'hung-scenario', /^scenario code did not return within 1s: in the invariants after step 0$/],
  ['setup-loop', `${HEAD}export default defineScenario({ name: 'setup-loop', expect: 'clean', setup() { for (;;) {} } });\n`, 'hung-scenario', /^scenario code did not return within 1s: in setup$/],
  // Endless random schedules, each quick: only --time stops it.
  [
    'endless',
    `${HEAD}export default defineScenario({ name: 'endless', expect: 'clean', bounds: { strategy: 'random', schedules: 1e9 },
  setup(run) { for (const n of ['T0', 'T1']) run.spawn(n, async () => { await run.point({ kind: 'a' }); }); },
});
`,
    'timeout',
    /^no verdict within --time 12s: stopped .* after \d+ schedules$/,
  ],
];

const GOOD = ['scenarios/classic/abba-ordered.ts', 'scenarios/classic/gfp-kernel-under-rwlock.ts'];

let dir: string;
let files: string[];
let sweep: Result;
let records: SweepRecord[];

beforeAll(async () => {
  dir = tempDir('broken');
  files = BROKEN.map(([name, text]) => write(join(dir, 'scenarios', `${name}.ts`), text));
  sweep = await septcheck(['sweep', GOOD[0]!, join(dir, 'scenarios'), GOOD[1]!, '--workers', '2', '--step-time', '1', '--time', '12', '--json', join(dir, 'sweep.json'), '--junit', join(dir, 'junit.xml')]);
  records = readJson<SweepRecord[]>(join(dir, 'sweep.json'));
}, 180_000);
afterAll(removeTempDirs);

describe('a sweep with broken scenarios', () => {
  it('finishes, exits 3, prints no stack trace, and reports every scenario', () => {
    expect(sweep.code, sweep.stderr).toBe(3);
    expect(sweep.stderr).not.toMatch(/\n\s+at |node:internal/);
    const all = [GOOD[0]!, ...[...files].sort(), GOOD[1]!];
    expect(records.map((r) => r.file)).toEqual(all);
    expect(sweep.stdout).toMatch(new RegExp(`^2 met, 0 failed, ${BROKEN.length} not judged$`, 'm'));
    // The other scenarios, judged as usual.
    expect(sweep.stdout).toMatch(/^ok {3}scenarios\/classic\/abba-ordered\.ts: expected clean, clean, proved for every schedule \(12 schedules\)$/m);
    expect(records.find((r) => r.file === GOOD[1])).toMatchObject({ verdict: 'finding', met: true, expected: 'sleep-in-atomic' });
  });

  it.for(BROKEN.map(([name, , kind, message]) => [name, kind, message] as const))('%s is reported as %s, with its own message', ([name, kind, message]) => {
    const file = join(dir, 'scenarios', `${name}.ts`);
    const r = records.find((x) => x.file === file)!;
    expect(r).toMatchObject({ verdict: 'error', met: false });
    expect(r.findings.map((f) => f.kind)).toEqual([kind]);
    expect(r.findings[0]!.message).toMatch(message);
    expect(`\n${sweep.stdout}`).toContain(`\nerror in ${r.name}: ${kind}: ${r.findings[0]!.message}\n`);
    expect(sweep.stdout).toMatch(new RegExp(`^ERR {2}${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: expected \\S+, could not judge: ${kind} after \\d+ schedules?$`, 'm'));
  });
});

describe('the token of a scenario that threw', () => {
  it('names it relative to the folder it was swept from, and replays there', async () => {
    const r = records.find((x) => x.name === 'invariant-throws')!;
    const token = r.findings[0]!.token;
    expect(decodeToken(token).scenario.path).toBe('invariant-throws.ts');
    const replay = await septcheck(['replay', token], join(dir, 'scenarios'));
    expect(replay.code).toBe(1);
    expect(replay.stdout).toMatch(/^invariant-exception: invariant boom threw: the invariant blew up \(after step 0\)$/m);
  });
});

describe('septcheck list with broken scenarios', () => {
  it('lists every file, the ones that fail to load or check as errors, and exits 3', async () => {
    const r = await septcheck(['list', join(dir, 'scenarios')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`Scenarios (${BROKEN.length}):`);
    const failing = ['exit-at-import', 'syntax-error', 'throws-at-import', 'validate-throws', 'validate-42', 'garbage-arbitrary'];
    // Outside the project the folder is shown as it is, then a row per file.
    expect(r.stdout.split('\n')).toContain(`${join(dir, 'scenarios')}/`);
    for (const [name, , kind] of BROKEN) {
      const row = r.stdout.split('\n').filter((l) => l.trim().split(/\s+/)[0] === name);
      expect(row, name).toHaveLength(1);
      if (failing.includes(name)) expect(row[0]).toMatch(new RegExp(` ERROR +${kind}$`));
      else expect(row[0]).not.toContain('ERROR');
    }
  });
});
