// Module resolve hook: 'septcheck' resolves to this package's source, so a scenario
// file outside the checkout can import it. The rest of the chain (tsx) still runs.
import { fileURLToPath, pathToFileURL } from 'node:url';

const entry = new URL('../src/index.ts', import.meta.url).href;

export async function resolve(specifier, context, next) {
  const r = await next(specifier === 'septcheck' ? entry : specifier, context);
  // A scenario file is an ES module (it `export default`s). Outside a package with
  // "type": "module" (a scenario in /tmp, say) Node would load a .ts file as
  // CommonJS, where `import` becomes `require` and misses this hook; load it, and
  // the helpers it imports, as the modules they are. tsx marks a CommonJS .ts file
  // it resolves with a query of its own: the file is the path before it.
  if (r.format !== 'commonjs' || !r.url.startsWith('file:')) return r;
  const path = fileURLToPath(r.url.split('?')[0]).split('?')[0];
  if (!path.endsWith('.ts') || path.includes('/node_modules/')) return r;
  return { ...r, url: pathToFileURL(path).href, format: 'module' };
}
