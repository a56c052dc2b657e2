import { importDefault, scenarioShapeProblem } from './load.ts';
import type { Run } from './run.ts';
import type { LoadedScenario, Scenario } from './scenario.ts';
import { describeThrown } from './thrown.ts';
import { decodeToken, TokenError, type TokenData } from './token.ts';
import { checkTokenParams } from './token-params.ts';
import { resolveScenarioFile } from './token-path.ts';
import { followTraced, type Followed } from './traced.ts';
import type { Finding } from './types.ts';

export interface ReplayTokenOptions {
  /** The folder the token's path is relative to; default the working directory. */
  readonly root?: string;
  /** More checks of the scenario once loaded (the CLI's schema): a problem refuses
   * the token. */
  readonly check?: (s: Scenario) => string | null;
}

export interface Replayed {
  readonly data: TokenData;
  /** The scenario, with the path the token names it by. */
  readonly scenario: LoadedScenario;
  readonly run: Run;
  /** The finding the replay raised; null if the schedule ran clean. */
  readonly finding: Finding | null;
  /** Where the token's schedule stopped fitting the code it imports (the code
   * changed since), when it did; the run then followed it block by block. */
  readonly diverged: string | null;
}

/**
 * Replays a token, which is untrusted data: decoded and checked (checksum, fields),
 * its scenario file checked before it is imported (token-path.ts), its parameters
 * checked against the scenario's (token-params.ts), then its schedule, after its
 * prelude, replayed strictly and traced. Where the schedule no longer fits (the code
 * the scenario imports changed: a fix, most often), it is followed block by block and
 * `diverged` says where. On the exact schedule a finding of another kind than the
 * token's is an error; a clean run returns a null finding for the caller to report.
 * Every failure is a one-line TokenError.
 */
export async function replayToken(token: unknown, opts: ReplayTokenOptions = {}): Promise<Replayed> {
  const data = decodeToken(token);
  const path = data.scenario.path;
  const abs = await resolveScenarioFile(opts.root ?? process.cwd(), path, data.scenario.hash);
  const scenario = await load(abs, path, opts.check);
  const p = checkTokenParams(scenario, data.params);
  if ('problem' in p) throw new TokenError(`${path}: the token's ${p.problem}`);
  const bound = scenario.bounds?.maxSteps;
  if (data.maxSteps !== bound) throw new TokenError(`${path}: the token's step bound ${data.maxSteps ?? 'default'} is not the scenario's (${bound ?? 'default'})`);

  let followed: Followed;
  try {
    followed = await followTraced(scenario, { maxSteps: bound, params: p.params, stopAt: data.kind }, data.schedule, data.prelude ?? [], false);
  } catch (e) {
    throw new TokenError(`replay of ${path} failed: ${describeThrown(e)}`);
  }
  const { run, diverged } = followed;
  // Past findings of other kinds, as --keep-going found it: the token's kind ends the run.
  const f = run.findings.find((x) => x.kind === data.kind) ?? run.finding;
  // On the exact schedule the code has not changed in any way that shows: another
  // kind means the token does not say what it is. Followed leniently, what the
  // changed code does is the news.
  if (f !== null && f.kind !== data.kind && diverged === null) throw new TokenError(`replay of ${path} raised ${f.kind}, not the token's ${data.kind}`);
  if (f !== null) f.params = p.params;
  return { data, scenario: { scenario, path, hash: data.scenario.hash }, run, finding: f, diverged };
}

async function load(abs: string, path: string, check: ReplayTokenOptions['check']): Promise<Scenario> {
  let value: unknown;
  try {
    value = await importDefault(abs, path);
  } catch (e) {
    throw new TokenError(`cannot load the token's scenario: ${describeThrown(e)}`);
  }
  const shape = scenarioShapeProblem(value);
  if (shape !== null) throw new TokenError(`${path} ${shape}`);
  const problem = check?.(value as Scenario) ?? null;
  if (problem !== null) throw new TokenError(`${path}: ${problem}`);
  return value as Scenario;
}
