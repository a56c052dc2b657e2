// Minimal sweep: runs every scenario under scenarios/ (or the given paths) with its
// own bounds and prints scenario, expected verdict, found verdict and schedules.
import { discoverScenarios } from './lib/discover.ts';
import { runScenarioFile } from './lib/run-scenario.ts';
import { table } from './lib/table.ts';

const paths = process.argv.slice(2);
const files = await discoverScenarios(paths.length > 0 ? paths : ['scenarios']);
const rows: string[][] = [];
let failed = 0;
for (const file of files) {
  const o = await runScenarioFile(file);
  if (!o.met) failed++;
  rows.push([o.loaded.scenario.name, o.strategy, o.loaded.scenario.expect, o.verdict, String(o.result.stats.schedules), o.met ? 'ok' : 'MISMATCH']);
  console.log(`${o.met ? 'ok  ' : 'FAIL'} ${file}: expected ${o.loaded.scenario.expect}, found ${o.verdict} in ${o.result.stats.schedules} schedules`);
}
console.log('\n' + table(['scenario', 'strategy', 'expected', 'found', 'schedules', ''], rows));
console.log(`\n${files.length - failed} met, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
