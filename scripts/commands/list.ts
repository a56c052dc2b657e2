import { strategyNames } from '../../src/engine/index.ts';
import { variants } from '../../src/variants/index.ts';
import { discoverScenarios } from '../lib/discover.ts';
import { loadValidScenario } from '../lib/scenario-schema.ts';
import { table } from '../lib/table.ts';

/** Lists the scenarios under the given paths, the known variants and the strategies. */
export async function list(paths: readonly string[]): Promise<void> {
  const files = await discoverScenarios(paths.length > 0 ? paths : ['scenarios']);
  const rows: string[][] = [];
  for (const f of files) {
    const { scenario: s, path } = await loadValidScenario(f);
    rows.push([s.name, path, s.variant ?? '-', s.expect, s.description?.split('\n')[0] ?? '']);
  }
  console.log(`Scenarios (${rows.length}):\n\n${table(['scenario', 'file', 'variant', 'expected', 'description'], rows)}`);
  const vrows = variants.map((v) => [v.name, v.description.split('\n')[0]!]);
  console.log(`\nVariants (${vrows.length}):\n\n${table(['variant', 'description'], vrows)}`);
  const sweepable = strategyNames.filter((n) => n !== 'replay');
  console.log(`\nStrategies: ${sweepable.join(', ')} (replay: regressions only)`);
}
