// The ported public suite (bench/suite): each bug is found under its own bounds, and
// each clean twin is explored completely within its preemption bound. SafeStack's
// bug needs at least 4 preemptions, so its twin's proof within 2 does not tell the
// two apart: the portfolio also samples the twin with the budget that finds the bug.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explore, loadScenario } from '../../src/engine/index.ts';
import { suiteBugs } from '../../scripts/bench/suite.ts';

const DIR = 'bench/suite';
const files = readdirSync(DIR).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).sort();

describe('bench/suite', () => {
  it('pairs every bug with its clean twin', () => {
    const bugs = files.filter((f) => !f.endsWith('-fixed.ts'));
    expect(bugs.length).toBeGreaterThan(0);
    for (const b of bugs) expect(files).toContain(b.replace(/\.ts$/, '-fixed.ts'));
  });

  for (const f of files) {
    it(`${f} meets its expected verdict under its bounds`, async () => {
      const l = await loadScenario(`${DIR}/${f}`);
      const b = l.scenario.bounds ?? {};
      const r = await explore(l.scenario, { strategy: b.strategy as never, schedules: b.schedules, preemptions: b.preemptions, seed: b.seed });
      expect(r.findings[0]?.kind ?? 'clean').toBe(l.scenario.expect);
      if (l.scenario.expect === 'clean') expect(r.stats.complete).toBe(`within preemption bound ${b.preemptions}`);
      else expect(r.findings[0]!.details?.portfolio).toBe(r.stats.foundBy);
    });
  }

  it("safestack-fixed stays clean over the budget in which the portfolio finds safestack (100,000 schedules, seed 1)", async () => {
    const bug = await loadScenario(`${DIR}/safestack.ts`);
    const twin = await loadScenario(`${DIR}/safestack-fixed.ts`);
    const b = bug.scenario.bounds!;
    // The loop above finds the bug under these bounds, with the default strategy.
    expect([b.strategy, b.schedules, b.seed]).toEqual([undefined, 100_000, 1]);
    const clean = await explore(twin.scenario, { strategy: 'portfolio', schedules: b.schedules, seed: b.seed });
    expect(clean.findings).toEqual([]);
    expect(clean.stats.schedules).toBe(b.schedules);
  });

  it('npm run bench -- --bugs picks bugs of the suite by name, and refuses a name it does not have', async () => {
    expect((await suiteBugs()).map((l) => l.scenario.name)).toEqual(['iwsq', 'safestack', 'wsq']);
    expect((await suiteBugs(['safestack'])).map((l) => l.path)).toEqual([`${DIR}/safestack.ts`]);
    await expect(suiteBugs(['safestak'])).rejects.toThrow(/^--bugs: no bug 'safestak' in bench\/suite \(iwsq, safestack, wsq\)$/);
  });
});
