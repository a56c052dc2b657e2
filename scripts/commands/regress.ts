import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { replayToken } from '../../src/engine/index.ts';
import { UsageError } from '../lib/errors.ts';
import { regressionSource } from '../lib/regression-source.ts';
import { projectRoot } from '../lib/root.ts';
import { schemaProblem } from '../lib/scenario-schema.ts';

export interface RegressOptions {
  readonly name: string;
  /** Folder the regression goes in; default scenarios/regressions. */
  readonly dir?: string;
}

/** Pins a token's finding as scenarios/regressions/NAME.ts; returns the path written. */
export async function regressAdd(token: string, opts: RegressOptions): Promise<string> {
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(opts.name)) {
    throw new UsageError(`--name '${opts.name}': use letters, digits, '.', '_' and '-' only`);
  }
  // Paths in the token, and the default folder, are the project root's.
  const root = projectRoot();
  const dir = opts.dir ?? relative(process.cwd(), join(root, 'scenarios', 'regressions'));
  const file = join(dir, `${opts.name}.ts`);
  if (existsSync(file)) throw new UsageError(`${file} already exists; choose another --name`);
  const r = await replayToken(token, { root, check: schemaProblem });
  if (r.finding === null) throw new UsageError(`the token's schedule runs clean now; nothing to pin`);
  // Followed leniently, the finding is not the token's schedule's: nothing to pin it at.
  if (r.diverged !== null) throw new UsageError(`the token's schedule no longer fits the code (${r.diverged}); explore the scenario again for a token to pin`);
  let base = relative(resolve(dir), resolve(root, r.scenario.path)).split('\\').join('/');
  if (!base.startsWith('.')) base = `./${base}`;
  const d = r.data;
  const text = regressionSource(base, {
    name: opts.name,
    kind: d.kind,
    reproduces: r.finding.message.split('\n')[0]!,
    from: { path: r.scenario.path, hash: d.scenario.hash },
    ...(d.params === undefined ? {} : { params: d.params }),
    ...(d.maxSteps === undefined ? {} : { maxSteps: d.maxSteps }),
    schedule: d.schedule,
    ...(d.prelude === undefined ? {} : { prelude: d.prelude }),
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, text, { flag: 'wx' });
  return file;
}
