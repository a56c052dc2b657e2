import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { replayToken, type Schedule } from '../../src/engine/index.ts';
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
  const fields = [
    `  name: ${JSON.stringify(opts.name)},`,
    `  kind: ${JSON.stringify(r.data.kind)},`,
    ...(r.data.params === undefined ? [] : [`  params: ${JSON.stringify(r.data.params)},`]),
    ...(r.data.maxSteps === undefined ? [] : [`  maxSteps: ${r.data.maxSteps},`]),
    `  schedule: ${scheduleLiteral(r.data.schedule, '  ')},`,
    ...(r.data.prelude === undefined ? [] : [`  prelude: [\n${r.data.prelude.map((p) => `    ${scheduleLiteral(p, '    ')},`).join('\n')}\n  ],`]),
  ];
  const n = f.schedule.switches.length;
  const text = `// Regression ${opts.name}: ${f.kind} in ${r.scenario.scenario.name} (variant ${r.data.variant ?? 'none'}).
// Reproduces: ${f.message.split('\n')[0]}
// Pinned from ${r.scenario.path} (content hash ${r.data.scenario.hash}) at its minimal
// schedule: ${f.schedule.steps} steps, ${n} switch${n === 1 ? '' : 'es'}. Written by \`septcheck regress add\`.
import { defineRegression } from 'septcheck';
import base from '${base}';

export default defineRegression(base, {
${fields.join('\n')}
});
`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, text, { flag: 'wx' });
  return file;
}

/** A schedule as a TypeScript literal, one switch per line. */
function scheduleLiteral(s: Schedule, indent: string): string {
  const lines = s.switches.map((x) => `${indent}    { step: ${x.step}, thread: ${JSON.stringify(x.thread)}, op: ${JSON.stringify(x.op)} },`);
  return `{\n${indent}  steps: ${s.steps},\n${indent}  switches: [\n${lines.join('\n')}\n${indent}  ],\n${indent}}`;
}
