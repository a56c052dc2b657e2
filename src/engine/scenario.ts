import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Arbitrary } from 'fast-check';
import { setChecks, type Checks } from './checks.ts';
import { setFaults, spawnInjectors, type Faults } from './faults.ts';
import { hashText } from './hash.ts';
import type { Program } from './program.ts';
import type { Run } from './run.ts';

/** Bounds a scenario runs under unless the user overrides them. */
export interface Bounds {
  readonly strategy?: string;
  readonly schedules?: number;
  readonly maxSteps?: number;
  readonly preemptions?: number;
  readonly depth?: number;
  /** dfs and dpor: bound 0 first, then 1, ... up to `preemptions`. */
  readonly deepen?: boolean;
  readonly seed?: number | string;
  /** `proved`: a clean verdict counts only when every schedule within the bound was
   * explored; a sampled clean then misses the expected verdict. */
  readonly require?: 'proved';
  /** The schedule budget is part of the scenario (a cost measurement, say): a
   * sweep's `--schedules` does not change it. */
  readonly fixed?: boolean;
}

/** Joins the kinds of an `expect` list. */
export const EXPECT_SEP = '|';

/** The finding kinds `expect` accepts (['clean'] for a clean expectation). */
export function expectedKinds(expect: string): string[] {
  return expect.split(EXPECT_SEP);
}

/** Whether a run that found `found` (a kind, or 'clean') meets `expect`. */
export function meetsExpect(found: string, expect: string): boolean {
  return expectedKinds(expect).includes(found);
}

/** What a scenario file default-exports. */
export interface Scenario<P = unknown> extends Program<P> {
  readonly description?: string;
  /** The patch version under test, by name. */
  readonly variant?: string;
  /** `clean`, or the finding kind the scenario must produce; the symptoms of one bug
   * that shows as either of several kinds, depending on the order, are written
   * `kindA|kindB` (defineScenario takes a list). See expectedKinds(). */
  readonly expect: string;
  readonly bounds?: Bounds;
  /** Checks switched on or off for this scenario, e.g. `{ prove_locking: false,
   * held_at_exit: false }`, so that the benchmark's own failure (a deadlock, an
   * assertion) is what is reported, not lockdep's prediction of it. */
  readonly checks?: Checks;
  /** Faults the search may inject, per class, e.g. `{ slab: 1, page_alloc: 1 }`
   * (see faults.ts): each is a choice of the schedule. */
  readonly faults?: Faults;
  /** Checks parameters against the scenario's layout (GFNs inside the guest, levels
   * that exist) before any schedule runs: null when they fit, else one line naming
   * the field, e.g. `params.end: GFN 0x90000 is beyond gmem_pages (0x80000)`. */
  validate?(params: P): string | null;
}

export interface ScenarioInput<P> {
  readonly name: string;
  readonly description?: string;
  readonly variant?: string;
  /** `clean`, a finding kind, or the kinds one bug may show as:
   * `['invariant:liveness', 'invariant:invalidation']`. */
  readonly expect: string | readonly string[];
  readonly bounds?: Bounds;
  readonly checks?: Checks;
  readonly faults?: Faults;
  readonly params?: P;
  readonly paramsArbitrary?: Arbitrary<P>;
  setup(run: Run, params: P): void;
  /** Every piece of shared state is tracked (see Program.tracked). */
  readonly tracked?: boolean;
  stateHash?(run: Run): string;
  validate?(params: P): string | null;
}

/** Declares a scenario. A scenario file is a module whose default export is this. */
export function defineScenario<P = undefined>(input: ScenarioInput<P>): Scenario<P> {
  // A list is joined; anything else is left for the scenario check to name.
  const s: Scenario<P> = (Array.isArray(input.expect) ? { ...input, expect: input.expect.join(EXPECT_SEP) } : input) as Scenario<P>;
  const checks = s.checks;
  const faults = s.faults !== undefined && Object.values(s.faults).some((n) => n > 0) ? s.faults : undefined;
  if (checks === undefined && faults === undefined) return s;
  // Every run of the scenario (explored, shrunk, replayed) sees its switches and its
  // fault budget; the injectors come after the scenario's threads.
  const setup = s.setup;
  return {
    ...s,
    setup(run: Run, params: P) {
      if (checks !== undefined) setChecks(run, checks);
      if (faults !== undefined) setFaults(run, faults);
      setup.call(s, run, params);
      if (faults !== undefined) spawnInjectors(run);
    },
  };
}

/** A scenario with the identity a replay token pins: its path and content hash. */
export interface LoadedScenario {
  readonly scenario: Scenario;
  /** Path relative to the working directory, with forward slashes. */
  readonly path: string;
  readonly hash: string;
}

/** Hash of a scenario file's bytes. */
export async function scenarioFileHash(path: string): Promise<string> {
  return hashText(await readFile(path, 'utf8'));
}

/** Imports a scenario file and records its identity. */
export async function loadScenario(path: string): Promise<LoadedScenario> {
  const abs = resolve(path);
  const hash = await scenarioFileHash(abs);
  const mod = (await import(pathToFileURL(abs).href)) as { default?: Scenario };
  const scenario = mod.default;
  if (scenario === undefined || typeof scenario.setup !== 'function') {
    throw new Error(`${path}: does not default-export defineScenario({...})`);
  }
  return { scenario, path: relative(process.cwd(), abs).split('\\').join('/'), hash };
}
