// `npm test` gets its browser by itself (scripts/chromium.ts, its pretest): one named
// by CHROMIUM or CHROME_PATH, else one on PATH, else Debian's chromium installed with
// apt-get; where none can be had, one line says how to get one. apt-get and the
// browser here are stand-ins on a PATH of the test's own.
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureChromium, findChromium, HOW } from '../../scripts/chromium.ts';
import { node, removeTempDirs, REPO, tempDir, write } from './helpers.ts';

let dir: string;
/** An executable shell script. */
const script = (path: string, body: string) => {
  write(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
};

beforeAll(() => {
  dir = tempDir('chromium');
});
afterAll(removeTempDirs);

describe('findChromium', () => {
  it('takes CHROMIUM, then CHROME_PATH, and refuses one that is not executable', () => {
    const browser = script(join(dir, 'named', 'my-chrome'), 'exit 0');
    expect(findChromium({ CHROMIUM: browser, PATH: '' })).toEqual({ path: browser });
    expect(findChromium({ CHROME_PATH: browser, PATH: '' })).toEqual({ path: browser });
    expect(findChromium({ CHROMIUM: join(dir, 'none'), PATH: '' })).toEqual({ problem: `CHROMIUM=${join(dir, 'none')} is not an executable file: ${HOW}` });
  });

  it('finds one on PATH', () => {
    const bin = join(dir, 'path-bin');
    const browser = script(join(bin, 'chromium-browser'), 'exit 0');
    expect(findChromium({ PATH: `/nonexistent:${bin}` })).toEqual({ path: browser });
  });
});

describe('ensureChromium', () => {
  it("installs Debian's chromium with apt-get when there is none", () => {
    const bin = join(dir, 'apt-bin');
    const log = join(dir, 'apt.log');
    // apt-get that records its calls and, on install, puts a chromium on PATH.
    script(join(bin, 'apt-get'), `echo "$DEBIAN_FRONTEND $*" >> ${log}\nif [ "$1" = install ]; then printf '#!/bin/sh\\n' > ${bin}/chromium; /bin/chmod +x ${bin}/chromium; fi`);
    expect(ensureChromium({ PATH: bin }, true)).toEqual({ path: join(bin, 'chromium') });
    expect(readFileSync(log, 'utf8')).toBe('noninteractive update -qq\nnoninteractive install -y -qq chromium\n');
  });

  it('says how to get one when apt-get fails', () => {
    const bin = join(dir, 'apt-fails');
    script(join(bin, 'apt-get'), 'exit 100');
    expect(ensureChromium({ PATH: bin }, true)).toEqual({ problem: `apt-get could not install chromium: ${HOW}` });
    expect(existsSync(join(bin, 'chromium'))).toBe(false);
  });

  it('installs nothing when a browser was named, even a missing one', () => {
    const bin = join(dir, 'apt-unused');
    const log = join(dir, 'unused.log');
    script(join(bin, 'apt-get'), `echo called >> ${log}`);
    expect('problem' in ensureChromium({ PATH: bin, CHROMIUM: join(dir, 'none') }, true)).toBe(true);
    expect(existsSync(log)).toBe(false);
  });
});

describe('the pretest script', () => {
  it('fails with one line saying how to get a browser when none can be had', async () => {
    // Node alone on PATH: no browser, no apt-get.
    const bin = join(dir, 'node-only');
    mkdirSync(bin, { recursive: true });
    symlinkSync(process.execPath, join(bin, 'node'));
    const r = await node(join(REPO, 'node_modules/tsx/dist/cli.mjs'), [join(REPO, 'scripts/chromium.ts')], dir, { PATH: bin, CHROMIUM: '', CHROME_PATH: '' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`septcheck tests: no Chromium found (looked for chromium, chromium-browser, google-chrome, google-chrome-stable on PATH): ${HOW}\n`);
  });

  it('is what npm test runs first', () => {
    const { scripts } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.pretest).toBe('tsx scripts/chromium.ts');
  });
});
