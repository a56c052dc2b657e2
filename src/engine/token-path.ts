// A token names the scenario file to import, and importing a file runs it. So the
// name is checked before anything is imported: a plain relative path inside the
// root, to a regular .ts file that is not a helper, a test, a config or septcheck's
// own code, whose content has the token's hash and default-exports a value.
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashText } from './hash.ts';
import { oneLine } from './thrown.ts';
import { TokenError } from './token.ts';

/** Largest scenario file a token may name. */
const MAX_BYTES = 1024 * 1024;

/** A path segment: a plain file name (no hidden files, no helpers, no `..`). */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._+@-]*$/;

/** The checkout septcheck runs from: its code is never a scenario. */
const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OWN_CODE = ['src', 'scripts', 'bin', 'node_modules'].map((d) => resolve(PACKAGE, d));

/** Null when `path` may name a scenario file, by its spelling alone, else why not. */
export function scenarioPathProblem(path: string): string | null {
  if (isAbsolute(path) || /^[A-Za-z]:|^[\\/]/.test(path)) return 'is absolute: a token names its scenario relative to its project root';
  const segments = path.split('/');
  if (segments.includes('..')) return "climbs out of the folder with '..'";
  const name = segments[segments.length - 1]!;
  if (name.startsWith('_')) return "names a helper (a file starting with '_'), not a scenario";
  const odd = segments.find((s) => !SEGMENT.test(s));
  if (odd !== undefined) return `has '${odd}' in it, not a plain file or folder name`;
  if (segments.includes('node_modules')) return 'is inside node_modules';
  if (!name.endsWith('.ts') || name.endsWith('.d.ts')) return 'does not name a .ts scenario file';
  if (/\.(test|spec|config)\.ts$/.test(name)) return 'names a test or config file, not a scenario';
  return null;
}

const inside = (dir: string, p: string) => {
  const r = relative(dir, p);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
};

/** Does the source default-export a value (not a function or class), as a scenario
 * file does? Read, not run. */
export function defaultExportsValue(source: string): boolean {
  return /^export default (?!(?:async\s+)?function\b|class\b|abstract\b|interface\b|enum\b)\S/m.test(source);
}

/**
 * The scenario file a token names, checked as far as can be without running it.
 * Returns its real path; throws a one-line TokenError otherwise.
 */
export async function resolveScenarioFile(root: string, path: string, hash: string): Promise<string> {
  const refuse = (why: string) => new TokenError(`scenario path '${path}' ${why}`);
  const problem = scenarioPathProblem(path);
  if (problem !== null) throw refuse(problem);
  const top = await realpath(root);
  let real: string;
  try {
    real = await realpath(resolve(top, path));
  } catch {
    throw new TokenError(`cannot read scenario file ${path} (tokens name it relative to the project root: the folder of the nearest package.json, or for a scenario in no project the folder it was swept from)`);
  }
  // A symbolic link may lead anywhere: what it leads to is checked as well.
  if (!inside(top, real)) throw refuse(`leads outside ${oneLine(root)}`);
  const target = relative(top, real).split(sep).join('/');
  const linked = scenarioPathProblem(target);
  if (linked !== null) throw refuse(`leads to ${target}, which ${linked}`);
  if (OWN_CODE.some((d) => inside(d, real))) throw refuse("is septcheck's own code, not a scenario");
  const st = await stat(real);
  if (!st.isFile()) throw refuse('is not a regular file');
  if (st.size > MAX_BYTES) throw refuse(`is larger than ${MAX_BYTES} bytes: not a scenario file`);
  const source = await readFile(real, 'utf8');
  const actual = hashText(source);
  if (actual !== hash) {
    throw new TokenError(`scenario changed: ${path} is not the file this token was made from (hash ${actual}, token ${hash}); explore it again for a new token`);
  }
  if (!defaultExportsValue(source)) throw refuse('does not default-export a scenario (export default defineScenario({...}))');
  return real;
}
