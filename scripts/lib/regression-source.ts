// The text of a regression file. What it pins comes from a token and from the
// scenario's own messages, so none of it is trusted: every value goes into the file
// as a JSON literal in a code position (never into a comment), with the two line
// terminators JSON leaves raw escaped as well.
import type { RegressionPin } from '../../src/engine/index.ts';

/** `v` as a JavaScript literal that cannot end early: JSON, plus U+2028 and U+2029
 * escaped (JSON allows them raw in strings; a parser that ends lines there would
 * not). */
export function literal(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) throw new Error(`not JSON data: ${typeof v}`);
  return s.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The module `regress add` writes: `pin` as data, and the regression over the
 * scenario imported from `base` (a relative module specifier). */
export function regressionSource(base: string, pin: RegressionPin): string {
  const field = (k: string, v: unknown) => (v === undefined ? [] : [`  ${k}: ${literal(v)},`]);
  const schedule = (s: RegressionPin['schedule'], indent: string) =>
    [
      '{',
      `${indent}  steps: ${literal(s.steps)},`,
      `${indent}  switches: [`,
      ...s.switches.map((x) => `${indent}    { step: ${literal(x.step)}, thread: ${literal(x.thread)}, op: ${literal(x.op)} },`),
      `${indent}  ],`,
      `${indent}}`,
    ].join('\n');
  const lines = [
    ...field('name', pin.name),
    ...field('kind', pin.kind),
    ...field('reproduces', pin.reproduces),
    ...field('from', pin.from),
    ...field('params', pin.params),
    ...field('maxSteps', pin.maxSteps),
    `  schedule: ${schedule(pin.schedule, '  ')},`,
    ...(pin.prelude === undefined ? [] : ['  prelude: [', ...pin.prelude.map((p) => `    ${schedule(p, '    ')},`), '  ],']),
  ];
  return `// A regression written by \`septcheck regress add\`: the base scenario's threads
// run on exactly this schedule (after its prelude, if any) and must produce a
// finding of this kind.
import { defineRegression, type RegressionPin } from 'septcheck';
import base from ${literal(base)};

export const pin: RegressionPin = {
${lines.join('\n')}
};

export default defineRegression(base, pin);
`;
}
