// The catalogue scenarios the bench runs, found the way the sweep finds them.
import { readdirSync } from 'node:fs';
import { loadScenario, type LoadedScenario } from '../../src/engine/index.ts';

export const CATALOGUE = 'scenarios/catalogue';

/** Every catalogue scenario file (helpers start with '_'). */
export async function catalogue(): Promise<LoadedScenario[]> {
  const files = readdirSync(CATALOGUE)
    .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
    .sort();
  return Promise.all(files.map((f) => loadScenario(`${CATALOGUE}/${f}`)));
}

/** The catalogue's bugs: scenarios that expect a finding. */
export const bugs = (all: readonly LoadedScenario[]) => all.filter((l) => l.scenario.expect !== 'clean');

/** Clean scenarios small enough to sweep many schedules of (no cost scenarios). */
export const twins = (all: readonly LoadedScenario[]) => all.filter((l) => l.scenario.expect === 'clean' && !l.scenario.name.startsWith('cost-'));
