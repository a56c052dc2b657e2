import { createHash } from 'node:crypto';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import type { LoadedScenario } from './scenario.ts';
import { jsonDataProblem } from './token-params.ts';
import { oneLine } from './thrown.ts';
import type { Finding, Schedule } from './types.ts';

/**
 * Replay tokens: `sc2.` then base64url of the raw-deflated JSON followed by the first
 * CHECK_BYTES bytes of its SHA-256. The prefix names the format version; the
 * checksum refuses a token damaged in transit (mistyped, cut short, re-wrapped by a
 * mail client) rather than replaying what it happens to decode to. It is no
 * signature: a token is untrusted data, checked field by field when it is replayed.
 */
export const TOKEN_PREFIX = 'sc2.';
const CHECK_BYTES = 6;

/** Bounds on what a token may hold: far above any real finding, low enough that no
 * token makes replay hang or exhaust memory. */
export const TOKEN_LIMITS = {
  /** Characters of the whole token. */
  token: 64 * 1024,
  /** Bytes of the inflated JSON. */
  json: 1024 * 1024,
  /** Steps of one schedule, and the step bound. */
  steps: 1_000_000,
  switches: 10_000,
  prelude: 16,
  /** Characters of a path, a kind, a thread or an operation name. */
  text: 512,
} as const;

/** A token problem, told in one line. */
export class TokenError extends Error {
  constructor(message: string) {
    super(oneLine(message));
    this.name = 'TokenError';
  }
}

/** What a token's text (a path, a kind, a thread or an operation name) may not
 * hold: control characters and line terminators, and bidirectional controls. Replay
 * prints a schedule's thread and operation names and the kind where the schedule no
 * longer fits; one that ended a line, moved the cursor or reversed the text would
 * forge lines of that report on a terminal (\e[2K\r, a newline and `septcheck: ...`).
 * A finding whose threads are named so gets no token (makeToken). */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const text = z
  .string()
  .min(1)
  .max(TOKEN_LIMITS.text)
  .refine((x) => !UNPRINTABLE.test(x), 'has a control, line-break or bidirectional character');
const count = (max: number) => z.number().int().min(0).max(max);

const scheduleSchema = z
  .object({
    switches: z.array(z.object({ step: count(TOKEN_LIMITS.steps), thread: text, op: text }).strict()).max(TOKEN_LIMITS.switches),
    steps: count(TOKEN_LIMITS.steps),
  })
  .strict()
  .refine((s) => s.switches.every((x, i) => x.step < s.steps && (i === 0 || x.step > s.switches[i - 1]!.step)), {
    message: 'switch steps must rise and stay below steps',
  });

const tokenSchema = z
  .object({
    v: z.literal(2),
    /** The scenario file, relative to the folder the sweep ran in (or, for a file
     * outside it, to the folder the sweep was given), and its content hash. */
    scenario: z.object({ path: text, hash: z.string().regex(/^[0-9a-f]{16}$/) }).strict(),
    params: z.unknown().optional(),
    kind: text,
    /** Step bound the finding was made under (a livelock depends on it). */
    maxSteps: count(TOKEN_LIMITS.steps).min(1).optional(),
    schedule: scheduleSchema,
    prelude: z.array(scheduleSchema).max(TOKEN_LIMITS.prelude).optional(),
  })
  .strict();

export type TokenData = z.infer<typeof tokenSchema>;

const checksum = (bytes: Buffer) => createHash('sha256').update(bytes).digest().subarray(0, CHECK_BYTES);

export function encodeToken(data: TokenData): string {
  const deflated = deflateRawSync(Buffer.from(JSON.stringify(data), 'utf8'));
  return TOKEN_PREFIX + Buffer.concat([deflated, checksum(deflated)]).toString('base64url');
}

/** Decodes and validates a token, or throws a one-line TokenError. Nothing is read
 * from disk here: this is the token's own consistency. */
export function decodeToken(token: unknown): TokenData {
  const bad = (why: string) => new TokenError(`malformed replay token: ${why}`);
  if (typeof token !== 'string') throw bad('not a string');
  const t = token.trim();
  if (t.length > TOKEN_LIMITS.token) throw bad(`longer than ${TOKEN_LIMITS.token} characters`);
  if (t.startsWith('sc1.')) throw bad(`'sc1.' is a version 1 token, from a septcheck whose tokens had no checksum; sweep again for a '${TOKEN_PREFIX}' token`);
  if (!t.startsWith(TOKEN_PREFIX)) throw bad(`expected it to start with '${TOKEN_PREFIX}'`);
  const body = t.slice(TOKEN_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) throw bad('not base64url after the prefix');
  const bytes = Buffer.from(body, 'base64url');
  // Base64 has spare bits in its last character: a changed one can decode to the
  // same bytes. Only the one canonical spelling is the token.
  if (bytes.toString('base64url') !== body || bytes.length <= CHECK_BYTES) throw bad('damaged (cut short, or a character changed)');
  const deflated = bytes.subarray(0, bytes.length - CHECK_BYTES);
  if (!checksum(deflated).equals(bytes.subarray(bytes.length - CHECK_BYTES))) throw bad('damaged: its checksum does not match (cut short, or a character changed)');
  let json: string;
  try {
    json = inflateRawSync(deflated, { maxOutputLength: TOKEN_LIMITS.json }).toString('utf8');
  } catch {
    throw bad(`its data does not inflate to at most ${TOKEN_LIMITS.json} bytes`);
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
    throw bad(`${issue.path.join('.') || 'token'}: ${issue.message}`);
  }
  return r.data;
}

/** The token of a finding made on a loaded scenario. Its path is relative to
 * `root` (default: the working directory), which must hold the file. */
export function makeToken(s: LoadedScenario, f: Finding, opts: { maxSteps?: number; root?: string } = {}): string {
  const path = relative(resolve(opts.root ?? '.'), resolve(s.path));
  if (path === '' || path.startsWith('..') || isAbsolute(path)) throw new TokenError(`cannot make a token: ${s.path} is not inside ${opts.root ?? 'the working directory'}`);
  const problem = f.params === undefined ? null : jsonDataProblem(f.params, 'params');
  if (problem !== null) throw new TokenError(`cannot make a token: ${problem}`);
  const plain = (x: Schedule): TokenData['schedule'] => ({ switches: x.switches.map(({ step, thread, op }) => ({ step, thread, op })), steps: x.steps });
  const data: TokenData = {
    v: 2,
    scenario: { path: path.split(sep).join('/'), hash: s.hash },
    ...(f.params !== undefined ? { params: f.params } : {}),
    kind: f.kind,
    ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}),
    schedule: plain(f.schedule),
    ...(f.prelude !== undefined && f.prelude.length > 0 ? { prelude: f.prelude.map(plain) } : {}),
  };
  // No token that replay would refuse (a thread named with a control character,
  // more switches than a token holds): the finding then has none.
  const r = tokenSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new TokenError(`cannot make a token: ${issue.path.join('.') || 'token'}: ${issue.message}`);
  }
  return encodeToken(data);
}
