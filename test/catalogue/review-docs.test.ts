// docs/scenarios.md's walk-through ("Write a patch as a variant") shows the real
// files of one review-bug pair, byte for byte, and its table lists every review bug
// the bench measures.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REVIEW_BUGS } from '../../scripts/bench/review.ts';

const md = readFileSync('docs/scenarios.md', 'utf8');
const tsBlocks = [...md.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

describe('docs/scenarios.md: review bugs as variants', () => {
  it.each(['src/variants/v5-44-root-leak.ts', 'scenarios/catalogue/v5-44-root-leak.ts', 'scenarios/catalogue/v5-44-root-leak-fixed.ts'])('shows %s byte for byte', (file) => {
    expect(tsBlocks).toContain(readFileSync(file, 'utf8'));
  });

  it('lists every review bug of the bench with its fixed twin', () => {
    for (const { scenario } of REVIEW_BUGS) expect(md).toContain(`| \`${scenario}\` | \`${scenario}-fixed\` |`);
  });
});
