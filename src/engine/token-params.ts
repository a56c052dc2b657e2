// A token's parameters are untrusted: `{"splitters": 262143}` would spawn that many
// threads. They must be plain JSON of bounded size, have the shape of the scenario's
// own parameters, and pass its validate(); a scenario with no validate() only takes
// its own parameters (or ones its arbitrary could have drawn).
import fc from 'fast-check';
import { canonical } from './hash.ts';
import type { Scenario } from './scenario.ts';
import { describeThrown, oneLine, safeJson } from './thrown.ts';

export const PARAMS_LIMITS = {
  /** Characters of the parameters' JSON text. */
  json: 4096,
  /** Nesting of arrays and objects. */
  depth: 8,
} as const;

type JsonKind = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

function kindOf(v: unknown): JsonKind | null {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'boolean':
    case 'string':
      return typeof v as JsonKind;
    case 'number':
      return Number.isFinite(v) ? 'number' : null;
    case 'object':
      return Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null ? 'object' : null;
    default:
      return null;
  }
}

/** Null when `v` is plain JSON data (what survives JSON.stringify and parse
 * unchanged), else the first place it is not. */
export function jsonDataProblem(v: unknown, at: string, depth = 0): string | null {
  const k = kindOf(v);
  if (k === null) return `${at}: ${safeJson(v)} is not JSON data`;
  if (depth > PARAMS_LIMITS.depth) return `${at}: nested deeper than ${PARAMS_LIMITS.depth}`;
  if (k === 'array') {
    for (let i = 0; i < (v as unknown[]).length; i++) {
      const p = jsonDataProblem((v as unknown[])[i], `${at}[${i}]`, depth + 1);
      if (p !== null) return p;
    }
  } else if (k === 'object') {
    for (const [key, x] of Object.entries(v as object)) {
      const p = jsonDataProblem(x, `${at}.${key}`, depth + 1);
      if (p !== null) return p;
    }
  }
  return null;
}

/** Null when `v` has the shape of `ref` (the same JSON kinds, objects with the same
 * keys, array elements shaped like the first of `ref`'s), else where it does not. */
function shapeProblem(ref: unknown, v: unknown, at: string): string | null {
  const want = kindOf(ref);
  const got = kindOf(v);
  if (want !== got) return `${at}: expected ${want ?? 'a value'}, got ${got ?? 'a value'}`;
  if (got === 'array') {
    const [first] = ref as unknown[];
    if (first === undefined) return (v as unknown[]).length === 0 ? null : `${at}: expected an empty array`;
    for (let i = 0; i < (v as unknown[]).length; i++) {
      const p = shapeProblem(first, (v as unknown[])[i], `${at}[${i}]`);
      if (p !== null) return p;
    }
  } else if (got === 'object') {
    const r = ref as Record<string, unknown>;
    const o = v as Record<string, unknown>;
    for (const key of Object.keys(o)) if (!Object.hasOwn(r, key)) return `${at}.${key}: not a parameter of this scenario`;
    for (const key of Object.keys(r)) {
      if (!Object.hasOwn(o, key)) return `${at}.${key}: missing`;
      const p = shapeProblem(r[key], o[key], `${at}.${key}`);
      if (p !== null) return p;
    }
  }
  return null;
}

/** One draw of the scenario's arbitrary (fixed seed): the shape parameters take
 * when the scenario has no defaults. */
function drawn(s: Scenario): unknown {
  try {
    return s.paramsArbitrary === undefined ? undefined : fc.sample(s.paramsArbitrary, { numRuns: 1, seed: 0 })[0];
  } catch {
    return undefined;
  }
}

/** Calls the scenario's validate: null when the parameters fit, else one line. */
export function validateParams(s: Scenario, params: unknown): string | null {
  let r: unknown;
  try {
    r = s.validate!(params);
  } catch (e) {
    return `validate() threw: ${describeThrown(e)}`;
  }
  if (r === null || r === undefined) return null;
  return typeof r === 'string' ? oneLine(r) : `validate() returned ${safeJson(r)}, not null or a problem`;
}

/** The parameters a token's replay runs with, or the problem that refuses them. */
export function checkTokenParams(s: Scenario, given: unknown): { params: unknown } | { problem: string } {
  if (given === undefined) return { params: s.params };
  const data = jsonDataProblem(given, 'params');
  if (data !== null) return { problem: data };
  const size = JSON.stringify(given).length;
  if (size > PARAMS_LIMITS.json) return { problem: `params: ${size} characters of JSON, more than ${PARAMS_LIMITS.json}` };
  const ref = s.params !== undefined ? s.params : drawn(s);
  if (ref === undefined) return { problem: 'params: this scenario takes no parameters' };
  const shape = shapeProblem(ref, given, 'params');
  if (shape !== null) return { problem: shape };
  if (s.validate !== undefined) {
    const problem = validateParams(s, given);
    return problem === null ? { params: given } : { problem };
  }
  if (canonical(given) === canonical(s.params)) return { params: given };
  let drawable = false;
  try {
    drawable = s.paramsArbitrary?.canShrinkWithoutContext(given) === true;
  } catch {
    // an arbitrary that cannot tell
  }
  return drawable ? { params: given } : { problem: "params: not the scenario's own, and it has no validate() to check others" };
}
