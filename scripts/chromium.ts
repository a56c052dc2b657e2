// The browser of the HTML report test. `npm test` runs this first (pretest): a
// Chromium named by CHROMIUM or CHROME_PATH, else one on PATH, else Debian's
// `chromium`, installed with apt-get when this user may; where none can be had it
// says in one line how to get one, and fails.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export const HOW = 'install Debian\'s chromium (apt-get install chromium) or set CHROMIUM=/path/to/chromium';

const executable = (p: string) => {
  try {
    accessSync(p, constants.X_OK);
    return existsSync(p);
  } catch {
    return false;
  }
};

/** A program on PATH. */
function which(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) if (dir !== '' && executable(join(dir, name))) return join(dir, name);
  return null;
}

/** The Chromium to use, or why there is none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): { path: string } | { problem: string } {
  for (const v of ['CHROMIUM', 'CHROME_PATH']) {
    const p = env[v];
    if (p === undefined || p === '') continue;
    return executable(p) ? { path: p } : { problem: `${v}=${p} is not an executable file: ${HOW}` };
  }
  for (const n of NAMES) {
    const p = which(n, env);
    if (p !== null) return { path: p };
  }
  return { problem: `no Chromium found (looked for ${NAMES.join(', ')} on PATH): ${HOW}` };
}

/** `apt-get` with what it takes to run it as root, or null when this user cannot. */
function apt(env: NodeJS.ProcessEnv, root: boolean): string[] | null {
  const aptGet = which('apt-get', env);
  if (aptGet === null) return null;
  if (root) return [aptGet];
  const sudo = which('sudo', env);
  return sudo !== null && spawnSync(sudo, ['-n', 'true']).status === 0 ? [sudo, '-n', aptGet] : null;
}

/** Finds a Chromium, installing Debian's with apt-get when none is found and none
 * was named (CHROMIUM, CHROME_PATH). */
export function ensureChromium(env: NodeJS.ProcessEnv = process.env, root = process.getuid?.() === 0): { path: string } | { problem: string } {
  const found = findChromium(env);
  if ('path' in found || ['CHROMIUM', 'CHROME_PATH'].some((v) => (env[v] ?? '') !== '')) return found;
  const cmd = apt(env, root);
  if (cmd === null) return found;
  process.stderr.write("pretest: no Chromium for the browser test; installing Debian's chromium with apt-get\n");
  const run = (args: string[]) => spawnSync(cmd[0]!, [...cmd.slice(1), ...args], { env: { ...env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: ['ignore', 'ignore', 'inherit'] }).status === 0;
  if (!run(['update', '-qq']) || !run(['install', '-y', '-qq', 'chromium'])) return { problem: `apt-get could not install chromium: ${HOW}` };
  return findChromium(env);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = ensureChromium();
  if ('problem' in r) {
    process.stderr.write(`septcheck tests: ${r.problem}\n`);
    process.exit(1);
  }
}
