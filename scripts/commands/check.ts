import { scenarioFileHash } from '../../src/engine/index.ts';
import { discoverScenarios } from '../lib/discover.ts';
import { defaultWorkers, runPool, type SweepTask, type TaskResult } from '../lib/pool.ts';
import { projectRoot } from '../lib/root.ts';
import { findTsc, typecheck } from '../lib/typecheck.ts';
import { EXIT } from '../lib/verdict.ts';
import { DEFAULT_STEP_TIME } from './sweep.ts';

/** Checks scenario files as code, without exploring them: their types (tsc, with
 * the project's settings), then what a sweep checks before it runs (the schema,
 * unknown fields, the expected kind, the parameters). Resolves to 0 when all is
 * well, 1 when a file has a problem, 3 when something could not be checked. */
export async function check(paths: readonly string[]): Promise<number> {
  const root = projectRoot();
  const files = await discoverScenarios(paths, root);
  const tsc = findTsc(root);
  if (tsc === null) {
    process.stderr.write('septcheck: check needs TypeScript, found in neither the project nor septcheck: npm install --save-dev typescript\n');
    return EXIT.unjudged;
  }
  const types = typecheck(
    tsc,
    root,
    files.map((f) => f.abs),
  );
  if (types.output !== '') console.log(types.output);

  const tasks: SweepTask[] = [];
  for (const f of files) tasks.push({ kind: 'check', ...f, hash: await scenarioFileHash(f.abs), settings: {} });
  const results = new Map<SweepTask, TaskResult>();
  await runPool(tasks, defaultWorkers(), { stepTime: DEFAULT_STEP_TIME }, (t, r) => results.set(t, r));
  let problems = 0;
  let unchecked = 0;
  for (const t of tasks) {
    const r = results.get(t)!;
    if (r.kind === 'input') {
      problems++;
      console.log(r.message);
    } else if (r.kind === 'record') {
      unchecked++;
      const f = r.record.findings[0]!;
      console.log(`${t.file}: could not check: ${f.kind}: ${f.message}`);
    }
  }
  const typeErrors = types.errors ? 'type errors (above)' : 'no type errors';
  console.log(`${files.length} scenario file${files.length === 1 ? '' : 's'}: ${typeErrors}, ${problems} with problems, ${unchecked} could not be checked`);
  if (unchecked > 0) return EXIT.unjudged;
  return types.errors || problems > 0 ? EXIT.missed : EXIT.met;
}
