import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { Exploration } from './explore.ts';
import type { Run } from './run.ts';
import { loadScenario, scenarioFileHash, type LoadedScenario } from './scenario.ts';
import { ScheduleDivergence } from './schedule.ts';
import type { Finding, Schedule } from './types.ts';

/** Replay tokens: `sc1.` then base64url of deflated JSON. The prefix names the format
 * version, so a reader can refuse a token of another version before decoding it. */
export const TOKEN_PREFIX = 'sc1.';

/** A token problem, told in one line. */
export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

const scheduleSchema = z.object({
  switches: z.array(z.object({ step: z.number().int().min(0), thread: z.string().min(1), op: z.string() })),
  steps: z.number().int().min(0),
});

const tokenSchema = z.object({
  v: z.literal(1),
  /** The scenario file, relative to the working directory, and its content hash. */
  scenario: z.object({ path: z.string().min(1), hash: z.string().regex(/^[0-9a-f]{16}$/) }),
  variant: z.string().optional(),
  params: z.unknown().optional(),
  kind: z.string().min(1),
  /** Step bound the finding was made under (a livelock depends on it). */
  maxSteps: z.number().int().positive().optional(),
  schedule: scheduleSchema,
  prelude: z.array(scheduleSchema).optional(),
});

export type TokenData = z.infer<typeof tokenSchema>;

export function encodeToken(data: TokenData): string {
  return TOKEN_PREFIX + deflateRawSync(Buffer.from(JSON.stringify(data), 'utf8')).toString('base64url');
}

/** Decodes and validates a token, or throws a one-line TokenError. */
export function decodeToken(token: string): TokenData {
  const bad = (why: string) => new TokenError(`malformed replay token: ${why}`);
  const t = token.trim();
  if (!t.startsWith(TOKEN_PREFIX)) throw bad(`expected it to start with '${TOKEN_PREFIX}'`);
  const body = t.slice(TOKEN_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) throw bad('not base64url after the prefix');
  let json: string;
  try {
    json = inflateRawSync(Buffer.from(body, 'base64url')).toString('utf8');
  } catch {
    throw bad('its data does not inflate (truncated or mistyped?)');
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw bad('its data is not JSON');
  }
  const r = tokenSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw bad(`${issue.path.join('.') || 'token'}: ${issue.message}`.replace(/\s+/g, ' '));
  }
  return r.data;
}

/** The token of a finding made on a loaded scenario. */
export function makeToken(s: LoadedScenario, f: Finding, opts: { maxSteps?: number } = {}): string {
  const plain = (x: Schedule): TokenData['schedule'] => ({ switches: x.switches.map(({ step, thread, op }) => ({ step, thread, op })), steps: x.steps });
  return encodeToken({
    v: 1,
    scenario: { path: s.path, hash: s.hash },
    ...(s.scenario.variant !== undefined ? { variant: s.scenario.variant } : {}),
    ...(f.params !== undefined ? { params: f.params } : {}),
    kind: f.kind,
    ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}),
    schedule: plain(f.schedule),
    ...(f.prelude !== undefined && f.prelude.length > 0 ? { prelude: f.prelude.map(plain) } : {}),
  });
}

export interface Replayed {
  readonly data: TokenData;
  readonly scenario: LoadedScenario;
  readonly run: Run;
  /** The finding the replay raised; null if the schedule ran clean. */
  readonly finding: Finding | null;
}

/** Loads the token's scenario, refuses it if the file changed, and replays the
 * schedule (after its prelude) strictly. A finding of another kind than the token's
 * is an error; a clean run returns a null finding for the caller to report. */
export async function replayToken(token: string): Promise<Replayed> {
  const data = decodeToken(token);
  const path = data.scenario.path;
  let hash: string;
  try {
    hash = await scenarioFileHash(path);
  } catch {
    throw new TokenError(`cannot read scenario file ${path} (tokens name it relative to the directory they were made in)`);
  }
  if (hash !== data.scenario.hash) {
    throw new TokenError(`scenario changed: ${path} is not the file this token was made from (hash ${hash}, token ${data.scenario.hash}); explore it again for a new token`);
  }
  const scenario = await loadScenario(path);
  const x = new Exploration(scenario.scenario, { maxSteps: data.maxSteps, params: data.params });
  let run: Run;
  try {
    run = await x.replay(data.schedule, data.prelude ?? [], x.params);
  } catch (e) {
    if (e instanceof ScheduleDivergence) throw new TokenError(`replay of ${path} diverged: ${e.message}`);
    throw e;
  }
  const f = run.finding;
  if (f !== null && f.kind !== data.kind) throw new TokenError(`replay of ${path} raised ${f.kind}, not the token's ${data.kind}`);
  if (f !== null) f.params = x.params;
  return { data, scenario, run, finding: f };
}
