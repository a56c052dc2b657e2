import { z } from 'zod';
import { loadScenario, type LoadedScenario } from '../../src/engine/index.ts';
import { UsageError } from './errors.ts';

const positiveInt = z.number().int().positive();

/** What a scenario file must default-export. */
export const scenarioSchema = z.object({
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
    })
    .strict()
    .optional(),
  setup: z.custom<(...a: unknown[]) => unknown>((v) => typeof v === 'function', 'a function'),
});

/** One-line description of the first schema problem, naming the field. */
export function describeIssue(err: z.ZodError): string {
  const issue = err.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.join('.') : '(default export)';
  return `field '${field}': ${issue.message}`;
}

/** Loads a scenario file and checks it against the schema. */
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
  return loaded;
}
