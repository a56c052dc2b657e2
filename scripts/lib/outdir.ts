import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioRecord } from './record.ts';

/**
 * The --out directory: findings.jsonl (one line per finding), reports/ (one text
 * report per finding) and scenarios.jsonl (one line per finished scenario, read by
 * --resume and merge). Every write is fsynced before the sweep goes on, so a sweep
 * killed with SIGKILL loses nothing it has printed.
 */
export class OutDir {
  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'reports'), { recursive: true });
  }

  /** Records already finished here, keyed by `key()`. */
  finished(): Map<string, ScenarioRecord> {
    return new Map(readJsonl<ScenarioRecord & { key: string }>(join(this.dir, 'scenarios.jsonl')).map((r) => [r.key, r]));
  }

  /** Writes the scenario's findings, then marks it finished. */
  record(key: string, rec: ScenarioRecord): void {
    rec.findings.forEach((f, i) => {
      const base = `${slug(rec.name)}-${i + 1}`;
      writeDurably(join(this.dir, 'reports', `${base}.txt`), `${f.report ?? f.message}\n\nreplay: septcheck replay ${f.token}\n\n${f.trace}\n`, 'w');
      const line = { file: rec.file, name: rec.name, variant: rec.variant, strategy: rec.strategy, report: `reports/${base}.txt`, ...f };
      writeDurably(join(this.dir, 'findings.jsonl'), JSON.stringify(line) + '\n', 'a');
    });
    writeDurably(join(this.dir, 'scenarios.jsonl'), JSON.stringify({ key, ...rec }) + '\n', 'a');
  }
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
