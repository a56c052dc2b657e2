// Module resolve hook: 'septcheck' (and 'septcheck/...') resolve to this package's source.
const entry = new URL('../src/index.ts', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'septcheck') return { url: entry, shortCircuit: true };
  return next(specifier, context);
}
