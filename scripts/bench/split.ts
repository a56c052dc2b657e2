// One large scenario on 1 worker and on 2 (sweep --split): the command line itself,
// start-up, planning and worker start included, timed from outside; schedules per
// second, their ratio, and whether the two records are the same byte for byte.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface SplitSettings {
  /** The scenario file, and what its exploration is. */
  readonly file: string;
  readonly strategy: string;
  readonly preemptions: number;
}

export interface SplitRunFigures {
  readonly workers: number;
  readonly seconds: number;
  readonly schedules: number;
  readonly schedulesPerSec: number;
  /** CPU time of the sweep's process, all its threads (Linux: read from /proc while
   * it runs, to the last quarter second), and the cores that kept busy on average:
   * on a machine others share, fewer than the workers asked for. */
  readonly cpuSeconds?: number;
  readonly cores?: number;
}

export interface SplitFigures {
  readonly scenario: string;
  readonly settings: SplitSettings;
  readonly runs: readonly SplitRunFigures[];
  /** 2 workers' schedules/s over 1 worker's: the median of the rounds' own ratios. */
  readonly speedup: number;
  /** Each round's ratio, in order (1 worker, then 2, in each round). */
  readonly ratios?: readonly number[];
  /** The verdict in words (e.g. `clean, proved within 3 preemptions (217458 schedules)`). */
  readonly claim: string;
  /** How it was split (the record's stats.split). */
  readonly split: string;
  /** The records of the two runs are equal: verdict, findings, proof, figures. */
  readonly identical: boolean;
}

const BIN = fileURLToPath(new URL('../../bin/septcheck.js', import.meta.url));

interface SweepOut {
  readonly name: string;
  readonly schedules: number;
  readonly claim: string;
  readonly stats: Record<string, unknown>;
}

/** Runs `septcheck sweep FILE --split --workers N --json -`; the record and the wall time. */
async function sweepOnce(s: SplitSettings, workers: number, extra: readonly string[] = []): Promise<{ record: SweepOut; text: string; seconds: number; cpuSeconds?: number }> {
  const args = [BIN, 'sweep', s.file, '--split', '--workers', String(workers), '--strategy', s.strategy, '--preemptions', String(s.preemptions), '--json', '-', '--no-progress', ...extra];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let cpuSeconds: number | undefined;
  const poll = setInterval(() => {
    const c = cpuOf(child.pid);
    if (c !== undefined) cpuSeconds = c;
  }, 250);
  const code = await new Promise<number | null>((r) => child.on('close', r));
  clearInterval(poll);
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`sweep --split --workers ${workers} exited ${code}:\n${stderr}`);
  const [record] = JSON.parse(stdout) as SweepOut[];
  return { record: record!, text: JSON.stringify(record), seconds, ...(cpuSeconds === undefined ? {} : { cpuSeconds }) };
}

/** User and system time of a live process, all threads, in seconds (Linux). */
function cpuOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces, so after its closing paren):
    // utime and stime are the 14th and 15th of the line, in clock ticks (100 a second).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Rounds of 1 worker then 2: on a machine whose speed drifts (a shared VM: the same
 * 1-worker run took 25 s and 31 s minutes apart), one pair of runs says little;
 * each round's own ratio is taken, and the median of them reported. */
export const SPLIT_ROUNDS = 3;

export async function benchSplit(s: SplitSettings, progress: (line: string) => void, rounds = SPLIT_ROUNDS): Promise<SplitFigures> {
  // Fills tsx's compile cache, so that neither timed run pays for it.
  await sweepOnce(s, 2, ['--schedules', '1']);
  const all: SplitRunFigures[][] = [[], []];
  const texts = new Set<string>();
  const ratios: number[] = [];
  let record: SweepOut | undefined;
  for (let round = 1; round <= rounds; round++) {
    const pair: SplitRunFigures[] = [];
    for (const workers of [1, 2]) {
      const r = await sweepOnce(s, workers);
      record ??= r.record;
      texts.add(r.text);
      const cpu = r.cpuSeconds === undefined ? {} : { cpuSeconds: r.cpuSeconds, cores: r.cpuSeconds / r.seconds };
      pair.push({ workers, seconds: r.seconds, schedules: r.record.schedules, schedulesPerSec: r.record.schedules / r.seconds, ...cpu });
      progress(`split: round ${round}, ${workers} worker${workers === 1 ? '' : 's'} done in ${r.seconds.toFixed(1)} s`);
    }
    all[0]!.push(pair[0]!);
    all[1]!.push(pair[1]!);
    ratios.push(pair[1]!.schedulesPerSec / pair[0]!.schedulesPerSec);
  }
  const m = median(ratios);
  // The runs shown are those of the round whose ratio is the median's.
  const at = ratios.indexOf(m);
  return {
    scenario: record!.name,
    settings: s,
    runs: [all[0]![at]!, all[1]![at]!],
    speedup: m,
    ratios,
    claim: record!.claim,
    split: String(record!.stats.split ?? 'whole'),
    identical: texts.size === 1,
  };
}

/** The median of an odd count (the lower middle of an even one): one of the values. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** The table's rows for the figures. */
export function splitRows(f: SplitFigures): string[][] {
  const subject = `${f.scenario}, ${f.settings.strategy} within ${f.settings.preemptions} preemption${f.settings.preemptions === 1 ? '' : 's'}, --split`;
  return [
    ...f.runs.map((r) => {
      const cpu = r.cpuSeconds === undefined || r.cores === undefined ? '' : `, ${r.cores.toFixed(2)} cores busy (${(r.schedules / r.cpuSeconds).toFixed(0)} schedules per CPU second)`;
      return ['split', subject, `${r.workers} worker${r.workers === 1 ? '' : 's'}`, `${r.schedules} schedules in ${r.seconds.toFixed(1)} s: ${r.schedulesPerSec.toFixed(0)}/s${cpu}`, ''];
    }),
    ['split', subject, 'speedup', `${f.speedup.toFixed(2)}x${f.ratios === undefined ? '' : ` (median of ${f.ratios.map((x) => x.toFixed(2)).join(', ')})`}; ${f.claim}; ${f.split}`, `>= 1.7x: ${f.speedup >= 1.7 ? 'met' : 'MISSED'}`],
    ['split', subject, '1 vs 2 workers', f.identical ? `the same record in every run: verdict, findings, proof` : 'RECORDS DIFFER', `identical: ${f.identical ? 'met' : 'MISSED'}`],
  ];
}
