// End to end: the progress line and Ctrl-C. The line is on whenever stderr is a
// terminal (a pseudo-terminal from script(1) here), whatever stdout is, and names the
// scenarios running with their schedules, the rate and the findings; --progress and
// --no-progress override. Ctrl-C stops the sweep, prints what finished, and leaves
// --out to --resume.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, collect, readJsonl, removeTempDirs, REPO, septcheck, start, tempDir } from './helpers.ts';

const SLOW = 'test/e2e/fixtures/sweep/slow-clean.ts';
const ABBA = 'scenarios/classic/abba-latent.ts';
const ORDERED = 'scenarios/classic/abba-ordered.ts';

let dir: string;
beforeAll(() => {
  dir = tempDir('progress');
});
afterAll(removeTempDirs);

/** Runs a shell command line with a pseudo-terminal for stdin, stdout and stderr
 * (script(1), util-linux); what the terminal showed. */
function onTerminal(command: string): { code: number | null; screen: string } {
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, TERM: 'xterm' }, timeout: 110_000 });
  return { code: r.status, screen: r.stdout };
}

const sweepLine = `${process.execPath} ${BIN} sweep ${SLOW} ${ABBA} --workers 1`;

describe('on a terminal', () => {
  it('draws the line on stderr, naming the running scenario, with the rate and the findings', () => {
    const { code, screen } = onTerminal(sweepLine);
    expect(code).toBe(0);
    expect(screen).toMatch(/sweep \[[=-]+\] 0\/2 scenarios \| \d+ schedules\/s \| 0 findings \| running: slow-clean \(\d+\)/);
    // The finished scenarios' lines stay; the bar is cleared before the summary.
    expect(screen).toContain(`ok   ${SLOW}: expected clean, clean, sampled 10000 schedules (not exhaustive)`);
    expect(screen).toMatch(/\n2 met, 0 failed\r?\n$/);
  });

  it('draws it with stdout in a file, which gets the plain lines', () => {
    const log = join(dir, 'sweep.log');
    const { code, screen } = onTerminal(`${sweepLine} > ${log}`);
    expect(code).toBe(0);
    expect(screen).toMatch(/running: slow-clean \(\d+\)/);
    const text = readFileSync(log, 'utf8');
    expect(text).not.toMatch(/\x1b|\r/);
    expect(text).toContain(`ok   ${SLOW}: expected clean`);
    expect(text).toMatch(/^2 met, 0 failed$/m);
  });

  it('--no-progress leaves only the plain lines', () => {
    const { code, screen } = onTerminal(`${sweepLine} --no-progress`);
    expect(code).toBe(0);
    expect(screen).not.toContain('running:');
    expect(screen).not.toContain('schedules/s');
    expect(screen).toContain(`ok   ${SLOW}: expected clean`);
  });
});

describe('--progress off a terminal, and Ctrl-C', () => {
  it('prints the line, stops at SIGINT with what finished, and --out resumes', async () => {
    // A copy of a scenario that never finishes, to be interrupted while it runs.
    const endless = join(dir, 'endless-clean.ts');
    writeFileSync(endless, readFileSync(join(REPO, 'test/e2e/fixtures/sweep/endless-clean.ts'), 'utf8'));
    const out = join(dir, 'out');
    const args = ['sweep', ABBA, endless, ORDERED, '--workers', '1', '--out', out];
    const child = start([...args, '--progress']);
    const ended = collect(child);
    let stdout = '';
    let stderr = '';
    const running = /sweep \[[=-]+\] 1\/3 scenarios \| \d+ schedules\/s \| 1 finding \| running: endless-clean \(([1-9]\d*)\)/;
    await new Promise<void>((res) => {
      let sent = false;
      const check = () => {
        // The first scenario has finished and the line shows the second running.
        // One SIGINT: a second one quits at once, without the summary.
        if (!sent && /^ok {3}scenarios\/classic\/abba-latent\.ts: /m.test(stdout) && running.test(stderr)) {
          sent = true;
          child.kill('SIGINT');
          res();
        }
      };
      child.stdout!.on('data', (s: Buffer) => ((stdout += s.toString()), check()));
      child.stderr!.on('data', (s: Buffer) => ((stderr += s.toString()), check()));
      child.on('close', () => res());
    });
    const r = await ended;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stdout).toContain(`\ninterrupted (SIGINT): 1 of 3 scenarios finished; continue with --resume --out ${out}\n`);
    // The partial summary: the finished scenario only.
    const summary = r.stdout.slice(r.stdout.indexOf('interrupted (SIGINT)'));
    expect(summary).toMatch(/\nok +abba-latent +- +dfs +1 +lock-order-inversion +lock-order-inversion /);
    expect(summary).not.toContain('endless-clean');
    expect(summary).toMatch(/\n1 met, 0 failed\n$/);
    expect(r.stderr).toContain('septcheck: SIGINT: stopping the running scenarios (again to quit at once)');
    // --out holds what finished, and nothing of the interrupted scenario.
    expect(readJsonl<{ file: string }>(join(out, 'scenarios.jsonl')).map((x) => x.file)).toEqual([ABBA]);
    expect(readJsonl<{ file: string }>(join(out, 'findings.jsonl')).map((x) => x.file)).toEqual([ABBA]);

    // Made finite, the interrupted scenario runs on --resume; the finished one does not.
    writeFileSync(endless, readFileSync(endless, 'utf8').replace('schedules: 100_000_000', 'schedules: 20'));
    const resumed = await septcheck([...args, '--resume']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`resuming: 1 scenario(s) already recorded in ${out}, 2 to run`);
    expect(resumed.stdout).toContain(`skip ${ABBA}: recorded (found lock-order-inversion)`);
    expect(readJsonl<{ file: string }>(join(out, 'scenarios.jsonl')).map((x) => x.file).sort()).toEqual([ABBA, endless, ORDERED].sort());
    expect(readJsonl<{ file: string }>(join(out, 'findings.jsonl')).map((x) => x.file)).toEqual([ABBA]);
  });
});
