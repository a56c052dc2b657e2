// The public API of septcheck: what scenario files import from 'septcheck'.
export * from './engine/index.ts';
export * from './kernel/index.ts';
export * from './kvm/index.ts';
export * from './variants/index.ts';
// fast-check's arbitrary type, for `paramsArbitrary` (fc itself comes with the engine).
export type { Arbitrary } from 'fast-check';
