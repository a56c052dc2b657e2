import { z } from 'zod';
import { strategyNames } from '../../src/engine/index.ts';
import { KERNEL_CHECKS } from '../../src/kernel/index.ts';
import { variants } from '../../src/variants/index.ts';

const positiveInt = z.number().int().positive();
const fn = (what: string) => z.custom<(...a: unknown[]) => unknown>((v) => typeof v === 'function', `expected ${what}`);
const list = (names: readonly string[]) => names.join(', ');

/** What a scenario file must default-export. */
export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    variant: z.string().min(1).optional(),
    expect: z.string().min(1),
    bounds: z
      .object({
        strategy: z.string().optional(),
        schedules: positiveInt.optional(),
        maxSteps: positiveInt.optional(),
        preemptions: z.number().int().min(0).optional(),
        depth: positiveInt.optional(),
        seed: z.union([z.number(), z.string()]).optional(),
        require: z.literal('proved').optional(),
        deepen: z.boolean().optional(),
      })
      .strict()
      .optional(),
    tracked: z.boolean().optional(),
    checks: z.partialRecord(z.enum(KERNEL_CHECKS), z.boolean()).optional(),
    faults: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), z.number().int().min(0).max(8)).optional(),
    setup: fn('a function setup(run, params)'),
    validate: fn('a function validate(params) returning null or a problem').optional(),
    stateHash: fn('a function stateHash(run)').optional(),
    pinned: z.unknown().optional(),
  })
  .superRefine((s, ctx) => {
    // A variant names a patch version in the registry (src/variants/index.ts).
    if (s.variant !== undefined && !variants.some((v) => v.name === s.variant)) {
      ctx.addIssue({
        code: 'custom',
        path: ['variant'],
        message: `unknown variant '${s.variant}' (expected one of: ${list(variants.map((v) => v.name))})`,
      });
    }
    const strategy = s.bounds?.strategy;
    if (strategy !== undefined && !(strategyNames as readonly string[]).includes(strategy)) {
      ctx.addIssue({ code: 'custom', path: ['bounds', 'strategy'], message: `unknown strategy '${strategy}' (expected one of: ${list(strategyNames)})` });
    } else if (strategy === 'replay' && s.pinned === undefined) {
      ctx.addIssue({ code: 'custom', path: ['bounds', 'strategy'], message: "'replay' needs a pinned schedule (write the scenario with defineRegression)" });
    }
  });

/** Null when a loaded scenario fits the schema, else its first problem in one line. */
export function schemaProblem(s: unknown): string | null {
  const r = scenarioSchema.safeParse(s);
  return r.success ? null : `invalid scenario: ${describeIssue(r.error)}`;
}

/** One-line description of the first schema problem, naming the field. */
export function describeIssue(err: z.ZodError): string {
  const issue = err.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.join('.') : '(default export)';
  return `field '${field}': ${issue.message.replace(/\s+/g, ' ')}`;
}

/** `validate`'s problem with the default parameters as the CLI reports it: `params.end:
 * ...` reads as the schema's own messages do, `field '...': ...`. */
export function paramsProblemLine(problem: string): string {
  const m = /^(params(?:\.[\w$]+)*): (.*)$/.exec(problem);
  return `invalid params: ${m ? `field '${m[1]}': ${m[2]}` : problem}`;
}
