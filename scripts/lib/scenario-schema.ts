import { z } from 'zod';
import { ENGINE_KINDS, expectedKinds, faultClasses, strategyNames } from '../../src/engine/index.ts';
import { KERNEL_CHECKS, KERNEL_KINDS } from '../../src/kernel/index.ts';
import { variants } from '../../src/variants/index.ts';
import { closest } from './suggest.ts';

const positiveInt = z.number().int().positive();
const fn = (what: string) => z.custom<(...a: unknown[]) => unknown>((v) => typeof v === 'function', `expected ${what}`);

/** `unknown strategy 'dfss': did you mean 'dfs'? (expected one of: ...)`. */
export function unknownName(what: string, word: string, known: readonly string[]): string {
  const c = closest(word, known);
  return `unknown ${what} '${word}'${c === null ? '' : `: did you mean '${c}'?`} (expected one of: ${known.join(', ')})`;
}

/** Finding kinds a scenario may expect besides `clean` and `invariant:<name>`. */
export const FINDING_KINDS: readonly string[] = [...ENGINE_KINDS, ...KERNEL_KINDS];

/** Null when `expect` names a verdict septcheck can reach (an `invariant:<name>`
 * is checked against the registered invariants later), else the problem. */
export function expectProblem(expect: string): string | null {
  const kinds = expectedKinds(expect);
  if (kinds.length > 1) {
    if (kinds.includes('clean')) return `'clean' cannot be one of several expected kinds (${kinds.join(', ')})`;
    return kinds.map(expectProblem).find((p) => p !== null) ?? null;
  }
  if (expect === 'clean' || FINDING_KINDS.includes(expect) || /^invariant:./.test(expect)) return null;
  const c = closest(expect, ['clean', ...FINDING_KINDS]);
  return `unknown kind '${expect}'${c === null ? '' : `: did you mean '${c}'?`} (expected clean, invariant:<name> or one of: ${FINDING_KINDS.join(', ')})`;
}

/** Null when an `invariant:<name>` expectation names one of `registered`. */
export function invariantProblem(expect: string, registered: readonly string[]): string | null {
  if (expectedKinds(expect).length > 1) return expectedKinds(expect).map((k) => invariantProblem(k, registered)).find((p) => p !== null) ?? null;
  if (!expect.startsWith('invariant:')) return null;
  const name = expect.slice('invariant:'.length);
  if (registered.includes(name)) return null;
  const c = closest(name, registered);
  const known = registered.length === 0 ? 'it registers none' : `it registers: ${registered.join(', ')}`;
  return `no invariant '${name}' is registered by this scenario${c === null ? '' : `: did you mean 'invariant:${c}'?`} (${known})`;
}

const boundsSchema = z
  .object({
    strategy: z.string().optional(),
    schedules: positiveInt.optional(),
    maxSteps: positiveInt.optional(),
    preemptions: z.number().int().min(0).optional(),
    depth: positiveInt.optional(),
    seed: z.union([z.number(), z.string()]).optional(),
    require: z.literal('proved').optional(),
    deepen: z.boolean().optional(),
    fixed: z.boolean().optional(),
  })
  .strict();

const fieldsSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    variant: z.string().min(1).optional(),
    expect: z.string().min(1),
    bounds: boundsSchema.optional(),
    tracked: z.boolean().optional(),
    checks: z.partialRecord(z.enum(KERNEL_CHECKS), z.boolean()).optional(),
    faults: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), z.number().int().min(0).max(8)).optional(),
    params: z.unknown().optional(),
    paramsArbitrary: z.unknown().optional(),
    setup: fn('a function setup(run, params)'),
    validate: fn('a function validate(params) returning null or a problem').optional(),
    stateHash: fn('a function stateHash(run)').optional(),
    pinned: z.unknown().optional(),
  })
  .strict();

/** The fields a scenario (and its bounds) may have, for "did you mean". */
const FIELDS: Record<string, readonly string[]> = { '': Object.keys(fieldsSchema.shape), bounds: Object.keys(boundsSchema.shape) };

/** What a scenario file must default-export. */
export const scenarioSchema = fieldsSchema.superRefine((s, ctx) => {
  // A variant names a patch version in the registry (src/variants/index.ts).
  if (s.variant !== undefined && !variants.some((v) => v.name === s.variant)) {
    ctx.addIssue({ code: 'custom', path: ['variant'], message: unknownName('variant', s.variant, variants.map((v) => v.name)) });
  }
  const strategy = s.bounds?.strategy;
  if (strategy !== undefined && !(strategyNames as readonly string[]).includes(strategy)) {
    ctx.addIssue({ code: 'custom', path: ['bounds', 'strategy'], message: unknownName('strategy', strategy, strategyNames) });
  } else if (strategy === 'replay' && s.pinned === undefined) {
    ctx.addIssue({ code: 'custom', path: ['bounds', 'strategy'], message: "'replay' needs a pinned schedule (write the scenario with defineRegression)" });
  }
  // A fault class names one a layer registers (slab, page_alloc, seamcall_busy, ...).
  for (const cls of Object.keys(s.faults ?? {})) {
    if (!faultClasses().includes(cls)) ctx.addIssue({ code: 'custom', path: ['faults', cls], message: unknownName('fault class', cls, faultClasses()) });
  }
  const kind = expectProblem(s.expect);
  if (kind !== null) ctx.addIssue({ code: 'custom', path: ['expect'], message: kind });
});

/** Null when a loaded scenario fits the schema, else its first problem in one line. */
export function schemaProblem(s: unknown): string | null {
  const r = scenarioSchema.safeParse(s);
  return r.success ? null : `invalid scenario: ${describeIssue(r.error)}`;
}

/** One-line description of the first schema problem, naming the field. */
export function describeIssue(err: z.ZodError): string {
  const issue = err.issues[0]!;
  const at = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const known = FIELDS[at] ?? [];
    return issue.keys
      .map((k) => {
        const c = closest(k, known);
        const field = (name: string) => (at === '' ? name : `${at}.${name}`);
        return `unknown field '${field(k)}'${c === null ? '' : ` (did you mean '${field(c)}'?)`}`;
      })
      .join('; ');
  }
  return `field '${at === '' ? '(default export)' : at}': ${issue.message.replace(/\s+/g, ' ')}`;
}

/** `validate`'s problem with the default parameters as the CLI reports it: `params.end:
 * ...` reads as the schema's own messages do, `field '...': ...`. */
export function paramsProblemLine(problem: string): string {
  const m = /^(params(?:\.[\w$]+)*): (.*)$/.exec(problem);
  return `invalid params: ${m ? `field '${m[1]}': ${m[2]}` : problem}`;
}
