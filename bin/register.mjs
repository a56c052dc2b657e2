// Loaded with --import before anything else: TypeScript through tsx, and the bare
// specifier 'septcheck' mapped to this checkout, so a scenario file anywhere on
// disk can `import { defineScenario } from 'septcheck'`.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./septcheck-alias.mjs', import.meta.url);
