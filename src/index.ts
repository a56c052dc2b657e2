// The public API of septcheck: what scenario files import from 'septcheck'.
export * from './engine/index.ts';
export * from './kernel/index.ts';
export * from './kvm/index.ts';
export * from './variants/index.ts';
// fast-check, for `paramsArbitrary`: a scenario outside this package reaches it here.
export { default as fc } from 'fast-check';
export type { Arbitrary } from 'fast-check';
