import { z } from 'zod';
import { loadScenario, Run, strategyNames, type LoadedScenario } from '../../src/engine/index.ts';
import { KERNEL_CHECKS } from '../../src/kernel/index.ts';
import { variants } from '../../src/variants/index.ts';
import { UsageError } from './errors.ts';

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

/** One-line description of the first schema problem, naming the field. */
export function describeIssue(err: z.ZodError): string {
  const issue = err.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.join('.') : '(default export)';
  return `field '${field}': ${issue.message.replace(/\s+/g, ' ')}`;
}

/** Loads a scenario file, checks it against the schema, and checks its parameters
 * with the scenario's own `validate` (GFNs and levels against its layout). */
export async function loadValidScenario(path: string): Promise<LoadedScenario> {
  let loaded: LoadedScenario;
  try {
    loaded = await loadScenario(path);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new UsageError(msg.startsWith(path) ? msg : `${path}: ${msg.split('\n')[0]}`);
  }
  const r = scenarioSchema.safeParse(loaded.scenario);
  if (!r.success) throw new UsageError(`${path}: invalid scenario: ${describeIssue(r.error)}`);
  const s = loaded.scenario;
  if (s.validate !== undefined && s.params !== undefined) {
    const problem = s.validate(s.params);
    if (problem !== null && problem !== undefined) {
      // `params.end: ...` reads as the schema's own messages do: field '...': ...
      const line = problem.split('\n')[0]!;
      const m = /^(params(?:\.[\w$]+)*): (.*)$/.exec(line);
      throw new UsageError(`${path}: invalid params: ${m ? `field '${m[1]}': ${m[2]}` : line}`);
    }
  }
  return loaded;
}

/** Runs the scenario's setup once with its default parameters, on a run that never
 * starts: a setup that throws (a leaf over a folio too small, a duplicate thread) is
 * the scenario's error, told in one line before the sweep begins. */
export function checkSetup(l: LoadedScenario): void {
  // Parameters only drawn (an arbitrary and no defaults): nothing to try them with.
  if (l.scenario.params === undefined && l.scenario.paramsArbitrary !== undefined) return;
  const run = new Run(() => 0, { maxSteps: 1, shared: new Map() });
  try {
    l.scenario.setup(run, l.scenario.params);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new UsageError(`${l.path}: setup failed: ${msg.split('\n')[0]}`);
  }
}
