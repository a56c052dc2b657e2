import { discoverScenarios } from '../lib/discover.ts';
import { loadValidScenario } from '../lib/scenario-schema.ts';
import { table } from '../lib/table.ts';
import { variants } from '../../src/variants/index.ts';

/** Lists the scenarios under the given paths and the known variants. */
export async function list(paths: readonly string[]): Promise<void> {
  const files = await discoverScenarios(paths.length > 0 ? paths : ['scenarios']);
  const rows: string[][] = [];
  for (const f of files) {
    const { scenario: s } = await loadValidScenario(f);
    rows.push([s.name, s.variant ?? '-', s.expect, s.description?.split('\n')[0] ?? '']);
  }
  console.log(`Scenarios (${rows.length}):\n\n${table(['scenario', 'variant', 'expected', 'description'], rows)}`);
  const vrows = variants.map((v) => [v.name, v.description]);
  console.log(`\nVariants (${vrows.length}):\n\n${table(['variant', 'description'], vrows)}`);
}
