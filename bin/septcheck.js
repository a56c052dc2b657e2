#!/usr/bin/env node
// The septcheck command: installs the TypeScript loader, then runs the CLI.
await import('./register.mjs');
await import('../scripts/cli.ts');
