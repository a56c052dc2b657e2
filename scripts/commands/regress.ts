import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { replayToken } from '../../src/engine/index.ts';
import { UsageError } from '../lib/errors.ts';

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
  const dir = opts.dir ?? join('scenarios', 'regressions');
  const file = join(dir, `${opts.name}.ts`);
  if (existsSync(file)) throw new UsageError(`${file} already exists; choose another --name`);
  const r = await replayToken(token);
  if (r.finding === null) throw new UsageError(`the token's schedule runs clean now; nothing to pin`);
  const f = r.finding;
  let base = relative(dirname(file), r.scenario.path).split('\\').join('/');
  if (!base.startsWith('.')) base = `./${base}`;
  const pin = {
    name: opts.name,
    kind: r.data.kind,
    ...(r.data.params === undefined ? {} : { params: r.data.params }),
    ...(r.data.maxSteps === undefined ? {} : { maxSteps: r.data.maxSteps }),
    schedule: r.data.schedule,
    ...(r.data.prelude === undefined ? {} : { prelude: r.data.prelude }),
  };
  const text = `// Regression ${opts.name}: ${f.kind} in ${r.scenario.scenario.name} (variant ${r.data.variant ?? 'none'}).
// Reproduces: ${f.message.split('\n')[0]}
// Pinned from ${r.scenario.path} (content hash ${r.data.scenario.hash}) at its minimal
// schedule: ${f.schedule.steps} steps, ${f.schedule.switches.length} switches. Written by \`septcheck regress add\`.
import { defineRegression } from 'septcheck';
import base from '${base}';

export default defineRegression(base, ${JSON.stringify(pin, null, 2)});
`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, text, { flag: 'wx' });
  return file;
}
