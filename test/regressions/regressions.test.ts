// Every scenario in scenarios/regressions/ runs here, with no edits needed when
// `septcheck regress add` writes a new one: each must reproduce its pinned finding
// on exactly its pinned schedule.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explore, loadScenario } from '../../src/engine/index.ts';

const dir = 'scenarios/regressions';
const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).sort();

describe('regressions', () => {
  it('has one per catalogue bug at least', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
  });

  it.each(files)('%s reproduces its finding on its pinned schedule', async (file) => {
    const { scenario } = await loadScenario(`${dir}/${file}`);
    expect(scenario.pinned).toBeDefined();
    const r = await explore(scenario, { maxSteps: scenario.bounds?.maxSteps });
    expect(r.findings[0]?.kind).toBe(scenario.expect);
    expect(r.findings[0]!.schedule).toEqual({ switches: scenario.pinned!.schedule.switches, steps: scenario.pinned!.schedule.steps });
  });
});
