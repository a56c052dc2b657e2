// The per-VM PAMT cache mutex taken only by PUNCH_HOLE (Sean Christopherson's first
// proposal on v3 11/24); a private-to-shared conversion from a VMM thread splits from
// the per-VM cache without it (Yan Zhao's objection).
import { boundary } from './_boundary.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(boundary, {
  name: 'pamt-cache-punch-hole-only',
  description: 'KVM_SET_MEMORY_ATTRIBUTES2 from a VMM thread splits from the per-VM PAMT cache without pamt_cache_lock, which only PUNCH_HOLE takes.',
  variant: 'pamt-cache-punch-hole-only',
  expect: 'assert-held-failed',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
