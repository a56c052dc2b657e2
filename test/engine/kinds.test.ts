// The finding kinds a scenario's `expect` is checked against are every kind the
// engine and the kernel raise: read off their source, each `kind: '...'` that makes
// a finding (it has a message) and each `warning(t, '...')`, so a new kind cannot be
// raised without being known.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINE_KINDS, KERNEL_KINDS } from 'septcheck';
import { FINDING_KINDS } from '../../scripts/lib/scenario-schema.ts';
import { REPO } from '../e2e/helpers.ts';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : e.endsWith('.ts') ? [p] : [];
  });
}

/** Literal kinds of findings raised in `dir`. */
function raised(dir: string): Set<string> {
  const kinds = new Set<string>();
  for (const f of sources(join(REPO, dir))) {
    const text = readFileSync(f, 'utf8');
    // An object literal with a kind and, within a few lines, its message or report.
    for (const m of text.matchAll(/kind: '([a-z][a-z-]*)',?\s*(?:\n[^\n]*){0,2}?\s*(?:message|report)\b/g)) kinds.add(m[1]!);
    for (const m of text.matchAll(/warning\(\s*\w+,\s*'([a-z][a-z-]*)'/g)) kinds.add(m[1]!);
    for (const m of text.matchAll(/\['(refcount-[a-z]+)', /g)) kinds.add(m[1]!);
  }
  return kinds;
}

describe('finding kinds', () => {
  it('the engine raises exactly the kinds it lists', () => {
    expect([...raised('src/engine')].sort()).toEqual([...ENGINE_KINDS].sort());
  });

  it('the kernel raises exactly the kinds it lists', () => {
    expect([...raised('src/kernel')].sort()).toEqual([...KERNEL_KINDS].sort());
  });

  it("a scenario's expect is checked against both", () => {
    expect([...FINDING_KINDS].sort()).toEqual([...ENGINE_KINDS, ...KERNEL_KINDS].sort());
  });
});
