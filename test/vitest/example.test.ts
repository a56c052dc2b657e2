// Scenarios as vitest tests, in a complete test file (README.md shows it byte for byte).
import { describe, expect, it } from 'vitest';
import { testScenario } from 'septcheck/vitest';

// One test each: the scenario reaches the verdict it declares (`expect`), explored
// under its own `bounds`.
testScenario('scenarios/examples/stale-leaf-split.ts');
testScenario('scenarios/examples/stale-leaf-split-fixed.ts');

describe('the re-check after retaking mmu_lock', () => {
  it('closes the race the review found', async () => {
    await expect('scenarios/examples/stale-leaf-split.ts').toFind('invariant:zapped-stays-zapped');
    await expect('scenarios/examples/stale-leaf-split-fixed.ts').toBeClean();
  });

  it('holds under a longer sampled search too', async () => {
    await expect('scenarios/examples/stale-leaf-split-fixed.ts').toBeClean({ strategy: 'pct', schedules: 2000, seed: 7 });
  });
});
