import { pathToFileURL } from 'node:url';
import type { Scenario } from './scenario.ts';
import { describeThrown, oneLine, thrownAt } from './thrown.ts';

/** A scenario module that could not be evaluated: a syntax error, or a throw at
 * import. The message is one line and says where (`file:line:col: ...`). */
export class LoadError extends Error {
  constructor(message: string) {
    super(oneLine(message));
    this.name = 'LoadError';
  }
}

/** One line for an import of `abs` (shown as `shown`) that threw `e`. */
export function describeLoadError(shown: string, abs: string, e: unknown): string {
  // tsx (esbuild): "Transform failed with 1 error:\n/abs/file.ts:3:42: ERROR: Expected ..."
  let message = '';
  try {
    message = e instanceof Error ? String(e.message) : '';
  } catch {
    // described below
  }
  for (const line of message.split('\n')) {
    if (!line.startsWith(`${abs}:`)) continue;
    const m = /^:(\d+):(\d+): (?:ERROR: )?(.*)$/.exec(line.slice(abs.length));
    // esbuild counts columns from 0, editors and stack traces from 1.
    if (m !== null) return `${shown}:${m[1]}:${Number(m[2]) + 1}: syntax error: ${m[3]}`;
  }
  const at = thrownAt(e, abs);
  return `${shown}${at === null ? '' : `:${at}`}: threw while loading: ${describeThrown(e)}`;
}

/** Imports a scenario file's module and returns its default export, unchecked;
 * throws a LoadError when the module cannot be evaluated. */
export async function importDefault(abs: string, shown: string): Promise<unknown> {
  try {
    const mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
    return mod.default;
  } catch (e) {
    throw new LoadError(describeLoadError(shown, abs, e));
  }
}

/** Null when `v` can be a scenario (an object with a setup function; the CLI's
 * schema checks the rest), else why not. */
export function scenarioShapeProblem(v: unknown): string | null {
  try {
    const s = v as Partial<Scenario>;
    return typeof v !== 'object' || v === null || typeof s.setup !== 'function' ? 'does not default-export defineScenario({...})' : null;
  } catch (e) {
    return `default-exports something that throws when read: ${describeThrown(e)}`;
  }
}
