// Helpers of the end-to-end tests: they run the real command, `node bin/septcheck.js`,
// in child processes (stdout and stderr are pipes, so the CLI sees no TTY).
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout under test. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(REPO, 'bin', 'septcheck.js');

export interface Result {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of a child: no colour, and nothing of the vitest running us. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  for (const k of Object.keys(env)) if (k.startsWith('VITEST') || k === 'TEST' || k === 'NODE_ENV') delete env[k];
  return env;
}

/** Starts `septcheck ARGS` in `cwd` (default: the checkout), with `env` added. */
export function start(args: readonly string[], cwd = REPO, env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd, env: { ...childEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a Node script (e.g. vitest's) with ARGS in `cwd`, to its end, with `env` added. */
export function node(script: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return collect(spawn(process.execPath, [script, ...args], { cwd, env: { ...childEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Runs `septcheck ARGS` to its end. */
export function septcheck(args: readonly string[], cwd = REPO, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return collect(start(args, cwd, env));
}

/** Waits for a child to end and gathers its output. */
export function collect(child: ChildProcess): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((res, rej) => {
    child.on('error', rej);
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr }));
  });
}

/** The replay tokens a sweep printed, in order. */
export function tokensIn(stdout: string): string[] {
  return [...stdout.matchAll(/^ {2}septcheck replay (sc2\.[A-Za-z0-9_-]+)$/gm)].map((m) => m[1]!);
}

/** The token printed for the finding in scenario `name`. */
export function tokenOf(stdout: string, name: string): string {
  const m = new RegExp(`^finding in ${name}: .*\\n {2}septcheck replay (sc2\\.[A-Za-z0-9_-]+)$`, 'm').exec(stdout);
  if (m === null) throw new Error(`no finding printed for ${name} in:\n${stdout}`);
  return m[1]!;
}

const temps: string[] = [];

/** A fresh temporary folder outside the checkout (no package.json above it). */
export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `septcheck-e2e-${label}-`));
  temps.push(dir);
  return dir;
}

/** Removes the folders tempDir made (call from afterAll). */
export function removeTempDirs(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A copy of the checkout's code, scenarios and regression test, sharing its
 * node_modules: somewhere `regress add` may write. */
export function repoCopy(label: string): string {
  const dir = tempDir(label);
  for (const d of ['src', 'scenarios', 'bin', 'scripts', 'test/regressions']) cpSync(join(REPO, d), join(dir, d), { recursive: true });
  for (const f of ['package.json', 'tsconfig.json', 'vitest.config.ts']) cpSync(join(REPO, f), join(dir, f));
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

export function write(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** A sweep record as --json writes it (the fields the tests read). */
export interface SweepRecord {
  readonly file: string;
  readonly name: string;
  readonly variant: string;
  readonly strategy: string;
  readonly schedules: number;
  readonly expected: string;
  readonly verdict: 'clean' | 'finding';
  readonly found: string;
  readonly verdictClass: 'proved' | 'sampled' | 'found';
  readonly claim: string;
  readonly met: boolean;
  readonly stats: Record<string, unknown>;
  readonly findings: readonly { kind: string; message: string; token: string; originalSteps: number; minimalSteps: number }[];
}

/** A record without what may depend on wall time (none of the fields today; a
 * stat whose name says time, should one appear). */
export function timeless<T extends { stats?: Record<string, unknown> }>(r: T): T {
  if (r.stats === undefined) return r;
  const stats = Object.fromEntries(Object.entries(r.stats).filter(([k]) => !/ms$|time|elapsed|duration|rate/i.test(k)));
  return { ...r, stats };
}
