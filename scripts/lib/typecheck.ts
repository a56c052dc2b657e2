// `septcheck check`'s type check: the project's own `tsc` (else septcheck's), run with
// `--noEmit` on the scenario files through a generated tsconfig that extends the
// project's and maps 'septcheck' to this package's types, so a scenario folder
// anywhere is checked as the project checks its code.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isInside } from './root.ts';

/** This package's folder. */
const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where 'septcheck' and 'septcheck/vitest' are typed: the declarations `npm pack`
 * built, or in a checkout the source. */
function septcheckTypes(): Record<string, string[]> {
  const built = join(PACKAGE, 'dist/types');
  const at = (decl: string, source: string) => (existsSync(join(built, decl)) ? join(built, decl) : join(PACKAGE, source));
  return {
    septcheck: [at('src/index.d.ts', 'src/index.ts')],
    'septcheck/vitest': [at('scripts/vitest/index.d.ts', 'scripts/vitest/index.ts')],
  };
}

/** Where a project's TypeScript compiler may be, in order: TypeScript 7 installed
 * under the alias its team recommends beside TypeScript 6 for tools that need the
 * compiler API (`"@typescript/native": "npm:typescript@^7"`, `"typescript":
 * "npm:@typescript/typescript6@^6"`, as this checkout does), whose `tsc` is the one
 * `npx tsc` runs there; then `typescript`'s own `tsc`, or `tsc6` where `typescript`
 * is that TypeScript 6 package. */
const COMPILERS = [
  ['@typescript/native', 'tsc'],
  ['typescript', 'tsc'],
  ['typescript', 'tsc6'],
] as const;

/** The `tsc` of the project at `root`, else the one septcheck was installed with. */
export function findTsc(root: string): string | null {
  for (const from of [join(root, 'package.json'), join(PACKAGE, 'package.json')]) {
    for (const [pkg, bin] of COMPILERS) {
      try {
        const tsc = join(dirname(createRequire(from).resolve(`${pkg}/package.json`)), 'bin', bin);
        if (existsSync(tsc)) return tsc;
      } catch {
        // not installed there
      }
    }
  }
  return null;
}

/** The project's compiler options, resolved through its `extends` (tsc --showConfig). */
function projectOptions(tsc: string, tsconfig: string): Record<string, unknown> {
  const r = spawnSync(process.execPath, [tsc, '--showConfig', '-p', tsconfig], { encoding: 'utf8' });
  try {
    return (JSON.parse(r.stdout) as { compilerOptions?: Record<string, unknown> }).compilerOptions ?? {};
  } catch {
    return {};
  }
}

/** Options of a scenario folder in no project: strict, modern modules. */
const DEFAULTS = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: [] };

export interface TypecheckResult {
  /** tsc's diagnostics, paths relative to the working directory. */
  readonly output: string;
  readonly errors: boolean;
}

/** Type-checks `files` (absolute) with the settings of the project at `root`. */
export function typecheck(tsc: string, root: string, files: readonly string[]): TypecheckResult {
  const tsconfig = join(root, 'tsconfig.json');
  const own = existsSync(tsconfig) ? projectOptions(tsc, tsconfig) : {};
  // The project's own path mappings stay (resolved from where they were written);
  // 'septcheck' is this package, wherever the files are.
  const base = resolve(root, typeof own.baseUrl === 'string' ? own.baseUrl : '.');
  const paths: Record<string, string[]> = {};
  for (const [k, v] of Object.entries((own.paths ?? {}) as Record<string, string[]>)) paths[k] = v.map((p) => resolve(base, p));
  Object.assign(paths, septcheckTypes());
  // Type libraries are looked up from the config's folder, which is not the project's.
  const typeRoots = own.typeRoots ?? [root, PACKAGE].flatMap((d) => upward(d).map((u) => join(u, 'node_modules/@types'))).filter(existsSync);

  const cache = join(root, 'node_modules', '.cache', 'septcheck');
  const dir = existsSync(join(root, 'node_modules')) ? (mkdirSync(cache, { recursive: true }), cache) : mkdtempSync(join(tmpdir(), 'septcheck-check-'));
  const config = join(dir, 'tsconfig.check.json');
  writeFileSync(
    config,
    JSON.stringify(
      {
        ...(existsSync(tsconfig) ? { extends: tsconfig } : {}),
        compilerOptions: {
          ...(existsSync(tsconfig) ? {} : DEFAULTS),
          noEmit: true,
          // Scenario files import their helpers as './_helpers.ts'.
          allowImportingTsExtensions: true,
          skipLibCheck: true,
          paths,
          typeRoots,
        },
        files,
        include: [],
      },
      null,
      2,
    ),
  );
  try {
    const r = spawnSync(process.execPath, [tsc, '-p', config, '--pretty', 'false'], { encoding: 'utf8' });
    // A checkout maps 'septcheck' to its source: what tsc says of that source is not
    // about the scenarios.
    const mine = [join(PACKAGE, 'src'), join(PACKAGE, 'scripts')];
    const about = (d: { file: string }) => d.file === '' || !mine.some((m) => isInside(m, resolve(d.file)));
    const output = diagnostics(`${r.stdout}${r.stderr}`).filter(about).map((d) => d.text);
    return { output: output.join('\n'), errors: output.length > 0 || (r.status !== 0 && r.stdout === '') };
  } finally {
    if (dir !== cache) rmSync(dir, { recursive: true, force: true });
  }
}

/** `dir` and every folder above it. */
function upward(dir: string): string[] {
  const out = [dir];
  while (dirname(out[out.length - 1]!) !== out[out.length - 1]) out.push(dirname(out[out.length - 1]!));
  return out;
}

/** tsc's output as diagnostics: a `file(line,col): error ...` line and the indented
 * lines that continue it. */
function diagnostics(text: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^(.+?)\(\d+,\d+\): /.exec(line);
    if (m !== null || out.length === 0) out.push({ file: m?.[1] ?? '', text: line });
    else out[out.length - 1]!.text += `\n${line}`;
  }
  return out;
}
