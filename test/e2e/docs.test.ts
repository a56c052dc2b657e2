// The documentation's examples are real: the worked example of docs/scenarios.md is
// the file under scenarios/examples/ (and meets its verdict), and every command line
// in the README and docs uses options the command has.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioFileHash } from '../../src/engine/index.ts';
import { REPO, septcheck } from './helpers.ts';

const read = (f: string) => readFileSync(join(REPO, f), 'utf8');
const EXAMPLES = ['scenarios/examples/stale-leaf-split.ts', 'scenarios/examples/stale-leaf-split-fixed.ts'];

/** The fenced code blocks of a Markdown file, with their language. */
function codeBlocks(md: string): { lang: string; text: string }[] {
  return [...md.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, text: m[2]! }));
}

describe('docs/scenarios.md', () => {
  const md = read('docs/scenarios.md');

  it.each(EXAMPLES)('shows %s byte for byte', (file) => {
    expect(codeBlocks(md).filter((b) => b.lang === 'ts').map((b) => b.text)).toContain(read(file));
  });

  it('shows the regression pinned from the example at its current content hash', async () => {
    const hash = await scenarioFileHash(join(REPO, EXAMPLES[0]!));
    expect(md).toContain(`  from: {"path":"scenarios/examples/stale-leaf-split.ts","hash":"${hash}"},\n`);
  });

  it('the examples meet their expected verdicts in a sweep', async () => {
    const r = await septcheck(['sweep', 'scenarios/examples', '--workers', '1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok {3}scenarios\/examples\/stale-leaf-split\.ts: expected invariant:zapped-stays-zapped, found invariant:zapped-stays-zapped \(7 steps\) in \d+ schedules?$/m);
    expect(r.stdout).toMatch(/^ok {3}scenarios\/examples\/stale-leaf-split-fixed\.ts: expected clean, clean, proved for every schedule \(\d+ schedules\)$/m);
  });
});

describe('README.md', () => {
  const md = read('README.md');

  it('gives the two quick-start commands', () => {
    const lines = md.split('\n');
    expect(lines.some((l) => l.startsWith('npm ci && npm run sweep'))).toBe(true);
    expect(lines.some((l) => l.startsWith('npm ci && npm test'))).toBe(true);
  });

  it('shows the vitest example, a real test file of the suite, byte for byte', () => {
    expect(codeBlocks(md).filter((b) => b.lang === 'ts').map((b) => b.text)).toContain(read('test/vitest/example.test.ts'));
  });

  it('keeps the Layout table', () => {
    expect(md).toMatch(/^## Layout\n\n\| folder \| what \|\n\|---\|---\|\n(\| `[^`]+` \| .+ \|\n)+/m);
  });
});

describe('command lines in the docs', () => {
  const docs = ['README.md', 'docs/scenarios.md', 'docs/architecture.md'];
  const commands = ['sweep', 'replay', 'regress add', 'list', 'merge', 'check'];
  /** Every `septcheck <command> ...` line in the docs' code blocks, by command. */
  const uses = new Map<string, string[]>(commands.map((c) => [c, []]));
  for (const f of docs) {
    for (const b of codeBlocks(read(f))) {
      for (const line of b.text.split('\n')) {
        for (const c of commands) {
          const m = new RegExp(`septcheck ${c}( .*)?$`).exec(line);
          if (m !== null && !line.startsWith('  septcheck replay sc2') && !line.includes(': septcheck replay')) uses.get(c)!.push(m[1] ?? '');
        }
      }
    }
  }

  it('use each command at least once', () => {
    for (const c of commands) expect(uses.get(c)!.length, c).toBeGreaterThan(0);
  });

  it.each(commands)('septcheck %s: only options its --help lists', async (c) => {
    const help = await septcheck([...c.split(' '), '--help']);
    expect(help.code).toBe(0);
    const known = new Set([...help.stdout.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!));
    expect(known.size).toBeGreaterThan(0);
    for (const args of uses.get(c)!) {
      for (const flag of args.match(/--[a-z][a-z-]*/g) ?? []) expect(known, `${c}${args}`).toContain(flag);
    }
  });
});
