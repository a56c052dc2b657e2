// Regression topup-under-split-cache-lock: sleep-in-atomic in topup-under-split-cache-lock (variant v3-cross-boundary).
// Reproduces: sleeping function called from invalid context: tdx_topup_pamt_cache(kvm_tdx->prealloc_split_cache, 8) in set_attributes holding &kvm->slots_lock, &mapping->invalidate_lock, &kvm_tdx->prealloc_split_cache_lock
// Pinned from scenarios/catalogue/topup-under-split-cache-lock.ts (content hash ce07643c4ae9831b) at its minimal
// schedule: 4 steps, 1 switch. Written by `septcheck regress add`.
import { defineRegression } from 'septcheck';
import base from '../catalogue/topup-under-split-cache-lock.ts';

export default defineRegression(base, {
  name: "topup-under-split-cache-lock",
  kind: "sleep-in-atomic",
  params: {"leaf_level":2,"op":"set_attributes","start":16,"end":18,"vcpu":true},
  maxSteps: 5000,
  schedule: {
    steps: 4,
    switches: [
      { step: 0, thread: "set_attributes", op: "start" },
    ],
  },
});
