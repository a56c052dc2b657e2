import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from './errors.ts';
import type { SplitPlan } from '../../src/engine/index.ts';
import type { PartRecord } from './parts.ts';
import { replayCommand, type FindingRecord, type ScenarioRecord } from './record.ts';
import type { ScenarioInfo } from './verdict.ts';
import { META, type SweepMeta } from './sweep-meta.ts';

const LOGS = ['scenarios.jsonl', 'findings.jsonl', 'parts.jsonl'] as const;

/**
 * The --out directory: findings.jsonl (one line per finding), reports/ (one text
 * report per finding), scenarios.jsonl (one line per finished scenario, read by
 * --resume and merge), parts.jsonl (with --split: each scenario's plan, then each
 * work item as it finishes, read by --resume and merge) and sweep-meta.json (which
 * shard of which sweep, for merge).
 * Every write is fsynced before the sweep goes on, so a sweep killed with SIGKILL
 * loses nothing it has printed; a scenario counts as finished once its line is in
 * scenarios.jsonl, and findings.jsonl is cut back to the finished scenarios' findings
 * when a sweep resumes, so a kill between the two appends never duplicates a line.
 */
export class OutDir {
  /** Opens `dir` for a sweep, writing nothing yet. Without `resume` it must not hold
   * a sweep already: its findings would mix with the new ones (continue it with
   * --resume, or use another folder). */
  constructor(
    readonly dir: string,
    resume: boolean,
  ) {
    if (!resume && LOGS.some((f) => existsSync(join(dir, f)) && statSync(join(dir, f)).size > 0)) {
      throw new UsageError(`--out ${dir} already holds a sweep; add --resume to continue it, or choose another --out`);
    }
  }

  /** Records already finished here, keyed by `key()`. */
  finished(): Map<string, ScenarioRecord> {
    return new Map(readRecords(this.dir).map((r) => [r.key, r.record]));
  }

  /** Split scenarios' plans and parts already recorded here, keyed by `key()`. */
  splits(): Map<string, StoredSplit> {
    return readParts(this.dir);
  }

  /** Makes the folder ready to record into: both logs exist (an empty shard still
   * leaves its empty records for merge), lines a kill left behind are dropped, and
   * the sweep's description is written. */
  begin(meta: SweepMeta): void {
    mkdirSync(join(this.dir, 'reports'), { recursive: true });
    for (const f of LOGS) if (!existsSync(join(this.dir, f))) writeDurably(join(this.dir, f), '', 'a');
    compact(this.dir);
    replaceDurably(join(this.dir, META), JSON.stringify(meta, null, 2) + '\n');
  }

  /** A split scenario's plan, before any of its parts: what merge needs to judge it. */
  recordPlan(key: string, info: ScenarioInfo, plan: SplitPlan): void {
    appendRecordLine(join(this.dir, 'parts.jsonl'), JSON.stringify({ key, info, plan }) + '\n', 'a');
  }

  /** One finished work item of a split scenario (a later line of the same item
   * replaces it: a part run again under a smaller cap). */
  recordPart(key: string, part: PartRecord): void {
    appendRecordLine(join(this.dir, 'parts.jsonl'), JSON.stringify({ key, item: part.item, part }) + '\n', 'a');
  }

  /** Items of a split scenario this shard did not run because, as far as it could
   * tell, they cannot count: merge runs them should they count after all. */
  recordSkipped(key: string, items: readonly number[]): void {
    appendRecordLine(join(this.dir, 'parts.jsonl'), JSON.stringify({ key, skipped: items }) + '\n', 'a');
  }

  /** Writes the scenario's findings, then marks it finished. `index` is the
   * scenario's place in the unsharded sweep, so merge can restore that order. */
  record(key: string, index: number, rec: ScenarioRecord): void {
    rec.findings.forEach((f, i) => {
      // Named after the file: a regression shares its scenario's name.
      const base = `${slug(rec.file.replace(/\.ts$/, ''))}-${i + 1}`;
      appendRecordLine(join(this.dir, 'reports', `${base}.txt`), `${f.report ?? f.message}\n\nreplay: ${replayCommand(f)}\n\n${f.trace}\n`, 'w');
      const line = { file: rec.file, name: rec.name, variant: rec.variant, strategy: rec.strategy, ...f, reportFile: `reports/${base}.txt` };
      appendRecordLine(join(this.dir, 'findings.jsonl'), JSON.stringify(line) + '\n', 'a');
    });
    appendRecordLine(join(this.dir, 'scenarios.jsonl'), JSON.stringify({ key, index, ...rec }) + '\n', 'a');
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

/** What parts.jsonl holds of one split scenario. */
export interface StoredSplit {
  readonly key: string;
  readonly info: ScenarioInfo;
  readonly plan: SplitPlan;
  /** The last part of each item. */
  readonly parts: Map<number, PartRecord>;
  readonly skipped: Set<number>;
}

/** The split scenarios of an --out directory, by key. */
export function readParts(dir: string): Map<string, StoredSplit> {
  const out = new Map<string, StoredSplit>();
  type Line = { key: string; info?: ScenarioInfo; plan?: SplitPlan; part?: PartRecord; skipped?: number[] };
  for (const l of readJsonl<Line>(join(dir, 'parts.jsonl'))) {
    if (l.plan !== undefined && l.info !== undefined) {
      // A plan line starts the scenario afresh: a sweep resumed by a septcheck that
      // plans it otherwise records its new plan, and the old parts no longer count.
      out.set(l.key, { key: l.key, info: l.info, plan: l.plan, parts: new Map(), skipped: new Set() });
      continue;
    }
    const s = out.get(l.key);
    if (s === undefined) continue;
    if (l.part !== undefined) s.parts.set(l.part.item, l.part);
    for (const k of l.skipped ?? []) s.skipped.add(k);
  }
  return out;
}

/** Reads a JSON-lines file, ignoring a torn line left by a kill. */
export function readJsonl<T>(path: string): T[] {
  return jsonLines(path).map((l) => l.value as T);
}

function jsonLines(path: string): { text: string; value: unknown }[] {
  if (!existsSync(path)) return [];
  const out: { text: string; value: unknown }[] = [];
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    if (text.trim() === '') continue;
    try {
      out.push({ text, value: JSON.parse(text) });
    } catch {
      // a line cut short by SIGKILL: its scenario reruns on --resume
    }
  }
  return out;
}

/** Keeps, of findings.jsonl, exactly the findings of the scenarios scenarios.jsonl
 * holds, in order, and of both logs only whole lines. A scenario killed between its
 * findings and its own line reruns on --resume and writes its findings again. */
function compact(dir: string): void {
  const scenarios = jsonLines(join(dir, 'scenarios.jsonl'));
  const findings = jsonLines(join(dir, 'findings.jsonl'));
  const kept: string[] = [];
  let i = 0;
  for (const { value } of scenarios) {
    const rec = value as ScenarioRecord;
    for (const f of rec.findings ?? []) {
      while (i < findings.length && !sameFinding(findings[i]!.value, rec.file, f)) i++;
      if (i < findings.length) kept.push(findings[i++]!.text);
    }
  }
  rewriteIfChanged(join(dir, 'scenarios.jsonl'), scenarios.map((l) => l.text));
  rewriteIfChanged(join(dir, 'findings.jsonl'), kept);
  rewriteIfChanged(join(dir, 'parts.jsonl'), jsonLines(join(dir, 'parts.jsonl')).map((l) => l.text));
}

function sameFinding(line: unknown, file: string, f: FindingRecord): boolean {
  const l = line as Partial<FindingRecord> & { file?: string };
  return l.file === file && l.kind === f.kind && l.token === f.token && l.message === f.message;
}

function rewriteIfChanged(path: string, lines: readonly string[]): void {
  const text = lines.map((l) => `${l}\n`).join('');
  if (readFileSync(path, 'utf8') !== text) replaceDurably(path, text);
}

/** Test hook: SEPTCHECK_KILL_AFTER_WRITES=N kills the sweep with SIGKILL right after
 * the Nth write of a record, to check that --resume recovers at every boundary. */
const killAfter = Number(process.env.SEPTCHECK_KILL_AFTER_WRITES ?? 0);
let writes = 0;

function appendRecordLine(path: string, text: string, flag: 'a' | 'w'): void {
  writeDurably(path, text, flag);
  if (killAfter > 0 && ++writes === killAfter) process.kill(process.pid, 'SIGKILL');
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

/** Replaces a file whole: a kill leaves the old content or the new, never a mix. */
function replaceDurably(path: string, text: string): void {
  writeDurably(`${path}.tmp`, text, 'w');
  renameSync(`${path}.tmp`, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-|-$/g, '') || 'scenario';
}
