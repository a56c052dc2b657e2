import cliProgress from 'cli-progress';
import type { ScenarioRecord } from './record.ts';
import { statusLine } from './summary.ts';

/** Sweep progress: a live bar on a TTY, otherwise one plain line per scenario. */
export interface Progress {
  done(rec: ScenarioRecord): void;
  /** Prints a line without tearing the bar. */
  log(line: string): void;
  stop(): void;
}

export function makeProgress(total: number, tty: boolean): Progress {
  if (!tty) {
    return { done: (r) => console.log(statusLine(r)), log: (l) => console.log(l), stop: () => {} };
  }
  // Wall time here only paces the display; it never reaches exploration.
  const t0 = performance.now();
  let schedules = 0;
  let findings = 0;
  let count = 0;
  let rate = 0;
  const bar = new cliProgress.SingleBar(
    { format: 'sweep [{bar}] {value}/{total} scenarios | {rate} schedules/s | {findings} findings', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { rate: 0, findings: 0 });
  return {
    done(r) {
      count++;
      schedules += r.schedules;
      findings += r.findings.length;
      rate = Math.round(schedules / Math.max(1e-3, (performance.now() - t0) / 1000));
      bar.increment(1, { rate, findings });
    },
    log(line) {
      bar.stop();
      console.log(line);
      bar.start(total, count, { rate, findings });
    },
    stop: () => bar.stop(),
  };
}
