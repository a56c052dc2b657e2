// The matchers: `await expect('scenarios/x.ts').toBeClean()` and
// `await expect('scenarios/x.ts').toFind('deadlock')`, each exploring the scenario
// under its own bounds unless told otherwise.
import { meetsExpect } from '../../src/engine/index.ts';
import type { BoundsOverrides } from '../../src/engine/index.ts';
import { claimOf, exploreSubject, findingReport } from './explore.ts';
import { subjectOf, type ScenarioSubject } from './subject.ts';

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/** No finding in the schedules the bounds allow. */
export async function toBeClean(received: ScenarioSubject, overrides?: BoundsOverrides): Promise<MatcherResult> {
  const s = await subjectOf(received);
  const r = await exploreSubject(s, overrides);
  const f = r.findings[0];
  if (f === undefined) return { pass: true, message: () => `expected ${s.shown} to find something, but it is ${claimOf(r)}` };
  return { pass: false, message: () => `expected ${s.shown} to be clean, but it found ${claimOf(r)}:\n\n${findingReport(s, f)}` };
}

/** A finding of `kind` (the first finding, or with `keepGoing` any of them). */
export async function toFind(received: ScenarioSubject, kind: string, overrides?: BoundsOverrides): Promise<MatcherResult> {
  const s = await subjectOf(received);
  const r = await exploreSubject(s, overrides);
  const hit = overrides?.keepGoing === true ? r.findings.find((f) => f.kind === kind) : r.findings[0]?.kind === kind ? r.findings[0] : undefined;
  if (hit !== undefined) return { pass: true, message: () => `expected ${s.shown} not to find ${kind}, but it did:\n\n${findingReport(s, hit)}` };
  const f = r.findings[0];
  if (f === undefined) return { pass: false, message: () => `expected ${s.shown} to find ${kind}, but it is ${claimOf(r)}` };
  return { pass: false, message: () => `expected ${s.shown} to find ${kind}, but it found ${claimOf(r)}:\n\n${findingReport(s, f)}` };
}

/** The verdict the scenario declares: `clean` (proved, if its bounds require it) or
 * its finding kind. What testScenario checks. */
export async function toMeetExpected(received: ScenarioSubject, overrides?: BoundsOverrides): Promise<MatcherResult> {
  const s = await subjectOf(received);
  const { expect: want, bounds } = s.loaded.scenario;
  const r = await exploreSubject(s, overrides);
  const f = r.findings[0];
  const found = f?.kind ?? 'clean';
  const unproved = found === 'clean' && bounds?.require === 'proved' && r.verdict.class !== 'proved';
  const pass = meetsExpect(found, want) && !unproved;
  const why = unproved ? ', but the scenario requires proved' : '';
  const head = `expected ${s.shown} ${pass ? 'not ' : ''}to meet its expected verdict ${want}: it is ${claimOf(r)}${why}`;
  return { pass, message: () => (f === undefined ? head : `${head}:\n\n${findingReport(s, f)}`) };
}
