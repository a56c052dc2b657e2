// Module resolve hook: 'septcheck' resolves to this package's source, so a scenario
// file outside the checkout can import it. The rest of the chain (tsx) still runs.
const entry = new URL('../src/index.ts', import.meta.url).href;

export async function resolve(specifier, context, next) {
  return next(specifier === 'septcheck' ? entry : specifier, context);
}
