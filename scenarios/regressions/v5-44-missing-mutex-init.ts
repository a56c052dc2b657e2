// Regression v5-44-missing-mutex-init: uninitialized-lock in v5-44-missing-mutex-init (variant v5-44).
// Reproduces: &kvm_tdx->pamt_cache_lock used without mutex_init(): mutex_lock(&kvm_tdx->pamt_cache_lock) in set_attributes
// Pinned from scenarios/catalogue/v5-44-missing-mutex-init.ts (content hash ca684b2a1b706003) at its minimal
// schedule: 4 steps, 1 switch. Written by `septcheck regress add`.
import { defineRegression } from 'septcheck';
import base from '../catalogue/v5-44-missing-mutex-init.ts';

export default defineRegression(base, {
  name: "v5-44-missing-mutex-init",
  kind: "uninitialized-lock",
  params: {"leaf_level":2,"op":"set_attributes","start":16,"end":18,"vcpu":true},
  maxSteps: 5000,
  schedule: {
    steps: 4,
    switches: [
      { step: 0, thread: "set_attributes", op: "start" },
    ],
  },
});
