// What a septcheck matcher or testScenario is given: a scenario file's path (the
// way to get replay tokens), or a scenario already imported.
import { pathToFileURL } from 'node:url';
import { scenarioFileHash, type LoadedScenario, type Scenario } from '../../src/engine/index.ts';
import { checkLoaded } from '../lib/check-scenario.ts';
import { tokenRootOf } from '../lib/discover.ts';
import { locate, projectRoot, shownPath } from '../lib/root.ts';

/** A scenario file's path (from the working directory or the project root), or the
 * scenario itself (its findings then have no replay token: nothing names its file). */
export type ScenarioSubject = string | Scenario;

/** A scenario checked and ready to explore; `root` is where its tokens are relative
 * to, null when it came without a file. */
export interface Subject {
  readonly loaded: LoadedScenario;
  readonly root: string | null;
  /** How reports name it. */
  readonly shown: string;
}

/** Imports (through vitest, so TypeScript and 'septcheck' resolve as in the tests)
 * and checks the subject as a sweep would: a typo'd field or kind fails here, in
 * one line, before anything is explored. */
export async function subjectOf(s: ScenarioSubject): Promise<Subject> {
  const root = projectRoot();
  let value: unknown = s;
  let abs: string | null = null;
  if (typeof s === 'string') {
    abs = locate(s, root);
    if (abs === null) throw new Error(`${s}: no such scenario file`);
    value = ((await import(/* @vite-ignore */ pathToFileURL(abs).href)) as { default?: unknown }).default;
  }
  const shown = abs === null ? ((value as Partial<Scenario> | null)?.name ?? 'scenario') : shownPath(abs, root);
  const c = checkLoaded(value);
  if (c.kind !== 'ok') throw new Error(`${shown}: ${c.message}`);
  if (abs === null) return { loaded: { scenario: c.scenario, path: c.scenario.name, hash: '' }, root: null, shown };
  return { loaded: { scenario: c.scenario, path: abs, hash: await scenarioFileHash(abs) }, root: tokenRootOf(abs), shown };
}
