// Sweep progress. Each finished scenario is a plain line (stdout, or stderr when
// stdout carries `--json -`); with a bar (on when stderr is a terminal, or
// --progress) a live line on stderr below them names the scenarios running, with
// schedules per second and findings, redrawn at least once a second.
import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import type { Running } from './pool.ts';
import type { ScenarioRecord } from './record.ts';
import { statusLine } from './summary.ts';

export interface Progress {
  done(rec: ScenarioRecord): void;
  /** Prints a line without tearing the bar. */
  log(line: string): void;
  stop(): void;
}

export interface ProgressOptions {
  readonly total: number;
  /** Draw the live bar on stderr. */
  readonly bar: boolean;
  /** Where the lines go. */
  readonly out: NodeJS.WriteStream;
  /** What the workers are doing now, and the schedules run in all. */
  readonly running: () => readonly Running[];
  readonly schedules: () => number;
}

/** How often the bar is redrawn off a terminal (--progress into a file or pipe). */
const PLAIN_EVERY_MS = 1000;

export function makeProgress(o: ProgressOptions): Progress {
  const write = (line: string) => o.out.write(`${line}\n`);
  if (!o.bar) return { done: (r) => write(statusLine(r)), log: write, stop: () => {} };

  // Wall time here only paces the display; it never reaches exploration.
  const t0 = performance.now();
  let findings = 0;
  const multi = new cliProgress.MultiBar({
    stream: process.stderr,
    fps: 4,
    noTTYOutput: true,
    notTTYSchedule: PLAIN_EVERY_MS,
    hideCursor: true,
    // The summary follows: the bar has said all it had to.
    clearOnComplete: true,
    format: (options, params) => {
      const width = options.barsize ?? 20;
      const full = Math.round(params.progress * width);
      const rate = Math.round(o.schedules() / Math.max(1e-3, (performance.now() - t0) / 1000));
      const running = o.running().map((r) => {
        const name = r.task.info?.name ?? basename(r.task.file, '.ts');
        const part = r.task.part === undefined ? '' : `#${r.task.part.item + 1}`;
        return `${name}${part} (${r.schedules})`;
      });
      return [
        `sweep [${'='.repeat(full)}${'-'.repeat(width - full)}] ${params.value}/${params.total} scenarios`,
        `${rate} schedules/s`,
        `${findings} finding${findings === 1 ? '' : 's'}`,
        ...(running.length > 0 ? [`running: ${running.join(', ')}`] : []),
      ].join(' | ');
    },
  });
  // The bar's timer (4 a second, or once a second off a terminal) formats the line
  // anew each time: the rate and the running scenarios need no event of ours.
  const bar = multi.create(o.total, 0, {}, { barsize: 20 });
  // On a terminal the lines go above the bar; into a file or a pipe they go as they are.
  const log = (line: string) => (o.out.isTTY && process.stderr.isTTY ? multi.log(`${line}\n`) : write(line));
  return {
    done(r) {
      findings += r.findings.length;
      log(statusLine(r));
      bar.increment(1);
    },
    log,
    stop() {
      // Lines logged since the last redraw are written by a redraw.
      multi.update();
      multi.stop();
    },
  };
}
