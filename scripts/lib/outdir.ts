import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './errors.ts';
import { replayCommand, type ScenarioRecord } from './record.ts';

const LOGS = ['scenarios.jsonl', 'findings.jsonl'] as const;

/**
 * The --out directory: findings.jsonl (one line per finding), reports/ (one text
 * report per finding) and scenarios.jsonl (one line per finished scenario, read by
 * --resume and merge). Every write is fsynced before the sweep goes on, so a sweep
 * killed with SIGKILL loses nothing it has printed.
 */
export class OutDir {
  /** Opens `dir` for a sweep. Without `resume` it must not hold a sweep already:
   * its findings would mix with the new ones (continue it with --resume, or use
   * another folder). */
  constructor(
    readonly dir: string,
    resume: boolean,
  ) {
    if (!resume && LOGS.some((f) => existsSync(join(dir, f)) && statSync(join(dir, f)).size > 0)) {
      throw new UsageError(`--out ${dir} already holds a sweep; add --resume to continue it, or choose another --out`);
    }
    mkdirSync(join(dir, 'reports'), { recursive: true });
    // A kill can leave a line cut short; end it, so the next record starts a line of
    // its own (readJsonl skips the torn one and --resume reruns its scenario).
    for (const f of LOGS) {
      const path = join(dir, f);
      if (!existsSync(path)) continue;
      const text = readFileSync(path, 'utf8');
      if (text.length > 0 && !text.endsWith('\n')) writeDurably(path, '\n', 'a');
    }
  }

  /** Records already finished here, keyed by `key()`. */
  finished(): Map<string, ScenarioRecord> {
    return new Map(readRecords(this.dir).map((r) => [r.key, r.record]));
  }

  /** Writes the scenario's findings, then marks it finished. `index` is the
   * scenario's place in the unsharded sweep, so merge can restore that order. */
  record(key: string, index: number, rec: ScenarioRecord): void {
    rec.findings.forEach((f, i) => {
      // Named after the file: a regression shares its scenario's name.
      const base = `${slug(rec.file.replace(/\.ts$/, ''))}-${i + 1}`;
      writeDurably(join(this.dir, 'reports', `${base}.txt`), `${f.report ?? f.message}\n\nreplay: ${replayCommand(f)}\n\n${f.trace}\n`, 'w');
      const line = { file: rec.file, name: rec.name, variant: rec.variant, strategy: rec.strategy, ...f, reportFile: `reports/${base}.txt` };
      writeDurably(join(this.dir, 'findings.jsonl'), JSON.stringify(line) + '\n', 'a');
    });
    writeDurably(join(this.dir, 'scenarios.jsonl'), JSON.stringify({ key, index, ...rec }) + '\n', 'a');
  }
}

/** A finished scenario as scenarios.jsonl holds it. */
export interface StoredRecord {
  readonly key: string;
  readonly index: number;
  readonly record: ScenarioRecord;
}

/** The finished scenarios of an --out directory, in the order they finished. */
export function readRecords(dir: string): StoredRecord[] {
  return readJsonl<ScenarioRecord & { key: string; index?: number }>(join(dir, 'scenarios.jsonl')).map(({ key, index, ...record }) => ({
    key,
    index: index ?? Number.MAX_SAFE_INTEGER,
    record,
  }));
}

/** Reads a JSON-lines file, ignoring a torn last line left by a kill. */
export function readJsonl<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  const out: T[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // a line cut short by SIGKILL: its scenario reruns on --resume
    }
  }
  return out;
}

function writeDurably(path: string, text: string, flag: 'a' | 'w'): void {
  const fd = openSync(path, flag);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-|-$/g, '') || 'scenario';
}
