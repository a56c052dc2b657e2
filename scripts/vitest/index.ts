// septcheck/vitest: scenarios as vitest tests. Importing it adds the matchers
//   await expect('scenarios/x.ts').toBeClean()
//   await expect('scenarios/x.ts').toFind('deadlock')
//   await expect('scenarios/x.ts').toMeetExpected()
// and testScenario('scenarios/x.ts'), one test that the scenario reaches the verdict
// it declares. Each explores under the scenario's own bounds unless overridden (and
// SEPTCHECK_* from the environment, as the CLI reads them); a failure shows the
// kernel-style report, the interleaving and the replay token.
import { expect, test } from 'vitest';
import type { BoundsOverrides } from '../../src/engine/index.ts';
import { toBeClean, toFind, toMeetExpected } from './matchers.ts';
import type { ScenarioSubject } from './subject.ts';

export type { BoundsOverrides } from '../../src/engine/index.ts';
export type { ScenarioSubject } from './subject.ts';

expect.extend({ toBeClean, toFind, toMeetExpected });

interface SeptcheckMatchers<R = unknown> {
  /** No finding within the scenario's bounds (or `overrides`). */
  toBeClean(overrides?: BoundsOverrides): Promise<R>;
  /** The first finding is of `kind` (with `keepGoing`, any finding). */
  toFind(kind: string, overrides?: BoundsOverrides): Promise<R>;
  /** The verdict the scenario declares in `expect` (proved, when it requires it). */
  toMeetExpected(overrides?: BoundsOverrides): Promise<R>;
}

declare module 'vitest' {
  interface Matchers<T = any> extends SeptcheckMatchers<T> {}
}

export interface TestScenarioOptions extends BoundsOverrides {
  /** The test's name; default the scenario's path. */
  readonly name?: string;
  /** The test's timeout in milliseconds; default one minute. */
  readonly timeout?: number;
}

/** How long a scenario's test may run unless told: explorations take longer than
 * vitest's 5 s default. */
const TIMEOUT_MS = 60_000;

/** Declares one test: the scenario at `path` reaches the verdict it declares. */
export function testScenario(path: string, opts: TestScenarioOptions = {}): void {
  const { name, timeout = TIMEOUT_MS, ...overrides } = opts;
  test(name ?? path, async () => {
    await expect(path as ScenarioSubject).toMeetExpected(overrides);
  }, timeout);
}
