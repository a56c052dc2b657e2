// Fuzz: thousands of seeded mutations of real tokens (changed characters, flipped
// bits, truncation, wrong types, huge numbers, path traversal, files that are not
// scenarios, hostile strings), replayed with the library's replayToken in one
// process with the real loader. Every one must be a one-line TokenError, none may
// import a file outside the scenario roots (sentinel files record an import, and a
// loader hook logs every module loaded), and none may hang (each token is timed).
// A handful go through the real command: exit 2, one line, no stack trace.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashText } from '../../src/engine/index.ts';
import { removeTempDirs, REPO, septcheck, tempDir } from '../e2e/helpers.ts';

const COUNT = 2400;
const SEED = 'septcheck-token-fuzz-1';
/** Longest any one token may take (its replay included), on a loaded machine. */
const PER_TOKEN_MS = 10_000;

interface Line {
  readonly i?: number;
  readonly what?: string;
  readonly start?: boolean;
  readonly ok?: boolean;
  readonly error?: string;
  readonly message?: string;
  readonly token?: string;
  readonly done?: boolean;
}

let root: string;
let outside: string;
let marker: string;
let loadLog: string;
const results: Line[] = [];
let ended: { code: number | null; signal: string | null; stderr: string; hung: string | null };

/** A file that records its import in the marker file, and looks like a scenario. */
const sentinel = (name: string, extra = '') =>
  `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(marker)}, ${JSON.stringify(`${name}\n`)});\n${extra}`;
const SCENARIO_TAIL = "import { defineScenario } from 'septcheck';\nexport default defineScenario({ name: 'evil', expect: 'clean', setup() {} });\n";

beforeAll(async () => {
  root = realpathSync(tempDir('fuzz-root'));
  outside = realpathSync(tempDir('fuzz-outside'));
  marker = join(outside, 'IMPORTED');
  loadLog = join(outside, 'loads.log');
  // The scenario roots: real scenarios (and their helpers) under root/scenarios.
  cpSync(join(REPO, 'scenarios/classic'), join(root, 'scenarios/classic'), { recursive: true });
  cpSync(join(REPO, 'scenarios/catalogue'), join(root, 'scenarios/catalogue'), { recursive: true });
  cpSync(join(REPO, 'test/fixtures/scenarios/counter-race.scenario.ts'), join(root, 'scenarios/counter-race.ts'));
  for (const f of ['lost-update.ts', '_counter.ts']) cpSync(join(REPO, 'test/e2e/fixtures/replay-clean', f), join(root, 'scenarios', f));
  // Scenario files are ES modules; a folder outside any package says so itself.
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  // counter-race imports its types by a relative path into the checkout.
  const race = join(root, 'scenarios/counter-race.ts');
  writeFileSync(race, readFileSync(race, 'utf8').replace("'../../../src/engine/index.ts'", JSON.stringify(join(REPO, 'src/engine/index.ts'))));

  // Sentinels: files a token must never get imported, most of them scenario-like.
  const files: Record<string, string> = {
    [join(outside, 'evil.ts')]: sentinel('outside', SCENARIO_TAIL),
    [join(root, 'scenarios/_evil.ts')]: sentinel('helper', SCENARIO_TAIL),
    [join(root, '.hidden/evil.ts')]: sentinel('hidden', SCENARIO_TAIL),
    [join(root, 'node_modules/evil/evil.ts')]: sentinel('node_modules', SCENARIO_TAIL),
    [join(root, 'scenarios/evil.d.ts')]: sentinel('d.ts', SCENARIO_TAIL),
    [join(root, 'scenarios/evil.mjs')]: sentinel('mjs', 'export default {};\n'),
    [join(root, 'scenarios/evil.js')]: sentinel('js', 'export default {};\n'),
    [join(root, 'scenarios/evil.test.ts')]: sentinel('test', SCENARIO_TAIL),
    [join(root, 'evil.config.ts')]: sentinel('config', SCENARIO_TAIL),
    [join(root, 'scenarios/no-default.ts')]: sentinel('no-default', 'export const x = 1;\n'),
    [join(root, 'scenarios/fn-default.ts')]: sentinel('fn-default', 'export default function f() {}\n'),
    [join(root, 'scenarios/evil.json')]: '{"name": "evil"}\n',
  };
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  symlinkSync(join(outside, 'evil.ts'), join(root, 'scenarios/link-out.ts'));
  symlinkSync(join(root, 'scenarios/_evil.ts'), join(root, 'scenarios/link-helper.ts'));
  mkdirSync(join(root, 'scenarios/dir.ts'));
  const hashOf = (p: string) => (existsSync(p) && !p.endsWith('dir.ts') ? hashText(readFileSync(p, 'utf8')) : '0'.repeat(16));
  const named = [
    ...Object.keys(files).map((p) => relative(root, p)),
    join(outside, 'evil.ts'),
    'scenarios/link-out.ts',
    'scenarios/link-helper.ts',
    'scenarios/dir.ts',
    'scenarios/catalogue/_td.ts',
    // septcheck's own files, by absolute path and by climbing out of the root.
    ...['package.json', 'src/index.ts', 'scripts/bench.ts', 'scripts/cli.ts', 'bin/septcheck.js', 'scripts/commands/regress.ts'].flatMap((f) => [join(REPO, f), relative(root, join(REPO, f))]),
    '/dev/null',
  ];
  const targets = named.map((path) => ({ path, hash: hashOf(path.startsWith('/') ? path : join(root, path)) }));

  const child = spawn(
    process.execPath,
    ['--import', join(REPO, 'bin/register.mjs'), '--import', join(REPO, 'test/fixtures/token-fuzz/log-loads.mjs'), join(REPO, 'test/fixtures/token-fuzz/child.ts'), root, SEED, String(COUNT), JSON.stringify(targets)],
    { cwd: root, env: { ...process.env, SEPTCHECK_LOAD_LOG: loadLog }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  // The per-token limit: a token that starts and does not end in time is a hang.
  let hung: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (text) => {
    const line = JSON.parse(text) as Line;
    clearTimeout(timer);
    if (line.start) {
      timer = setTimeout(() => {
        hung = `token ${line.i} (${line.what}) did not finish within ${PER_TOKEN_MS} ms`;
        child.kill('SIGKILL');
      }, PER_TOKEN_MS);
    } else results.push(line);
  });
  ended = await new Promise((res) => child.on('close', (code, signal) => res({ code, signal, stderr, hung })));
  clearTimeout(timer);
}, 600_000);
afterAll(removeTempDirs);

describe(`${COUNT} mutated tokens`, () => {
  it('all run to the end: none hangs, the process exits cleanly', () => {
    expect(ended.hung).toBeNull();
    expect(ended.stderr).toBe('');
    expect(ended.code).toBe(0);
    expect(results.at(-1)).toEqual({ done: true, count: COUNT });
    expect(results.filter((r) => r.i !== undefined)).toHaveLength(COUNT);
  });

  it('every one is refused with a one-line TokenError, but for a schedule that no longer fits, which is followed and named', () => {
    const wrong = results.filter((r) => r.i !== undefined && !r.ok);
    expect(wrong.map((r) => `${r.what}: ${r.error}: ${r.message}`)).toEqual([]);
  });

  it('covers every kind of mutation, each many times', () => {
    const kinds = new Map<string, number>();
    for (const r of results) {
      const kind = r.what?.split(/:| at | \d/)[0];
      if (kind !== undefined) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    for (const k of ['char changed', 'bit flipped', 'truncated', 'appended', 'wrong type', 'huge number', 'path traversal', 'not a scenario', 'hostile string', 'structure']) {
      expect(kinds.get(k) ?? 0, k).toBeGreaterThan(COUNT / 20);
    }
    // Refused for many different reasons, not one.
    expect(new Set(results.map((r) => r.message?.replace(/[0-9a-f]{16}|\d+/g, '#').slice(0, 40))).size).toBeGreaterThan(25);
  });

  it('imports nothing outside the scenario roots: no sentinel ran, and the loader loaded no other file', () => {
    expect(existsSync(marker) ? readFileSync(marker, 'utf8') : '').toBe('');
    const allowed = [join(REPO, 'src'), join(REPO, 'node_modules'), join(REPO, 'bin'), join(REPO, 'test/fixtures/token-fuzz'), join(root, 'scenarios')].map((d) => pathToFileURL(d).href + '/');
    const loaded = [...new Set(readFileSync(loadLog, 'utf8').split('\n').filter((u) => u.startsWith('file:')))];
    expect(loaded.length).toBeGreaterThan(10);
    const sentinels = new Set(['evil.ts', '_evil.ts', 'no-default.ts', 'fn-default.ts', 'link-out.ts', 'link-helper.ts']);
    const foreign = loaded.filter((u) => !allowed.some((a) => u.startsWith(a)) || (u.startsWith(pathToFileURL(root).href) && sentinels.has(u.replace(/^.*\//, ''))));
    expect(foreign).toEqual([]);
    // The scenario files that were imported are the real ones the tokens came from.
    const scenarios = loaded.filter((u) => u.startsWith(pathToFileURL(join(root, 'scenarios')).href)).map((u) => relative(root, fileURLToPath(u)));
    expect(scenarios).toEqual(expect.arrayContaining(['scenarios/counter-race.ts', 'scenarios/lost-update.ts', 'scenarios/catalogue/concurrent-splitters.ts']));
  });

  it('through the real command, a sample is exit 2 with one line on stderr and no stack trace', async () => {
    const sample = results.filter((r) => r.token !== undefined && r.error !== 'diverged').slice(0, 8);
    expect(sample.length).toBeGreaterThanOrEqual(8);
    const runs = await Promise.all(sample.map((r) => septcheck(['replay', r.token!], root)));
    runs.forEach((r, k) => {
      expect(r.code, sample[k]!.what).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`septcheck: ${sample[k]!.message}\n`);
    });
  });
});
