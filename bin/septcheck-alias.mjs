// Module resolve hook: 'septcheck' resolves to this package's source, so a scenario
// file outside the checkout can import it. The rest of the chain (tsx) still runs.
const entry = new URL('../src/index.ts', import.meta.url).href;

export async function resolve(specifier, context, next) {
  const r = await next(specifier === 'septcheck' ? entry : specifier, context);
  // A scenario file is an ES module (it `export default`s). Outside a package with
  // "type": "module" (a scenario in /tmp, say) Node would load a .ts file as
  // CommonJS and its `import`s would fail; load it as the module it is.
  if (r.format === 'commonjs' && r.url.startsWith('file:') && r.url.endsWith('.ts') && !r.url.includes('/node_modules/')) {
    return { ...r, format: 'module' };
  }
  return r;
}
