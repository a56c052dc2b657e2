// Regression topup-under-mmu-lock: sleep-in-atomic in topup-under-mmu-lock (variant v5-44-fixed).
// Reproduces: sleeping function called from invalid context: tdx_topup_pamt_cache(kvm_tdx->pamt_cache, 4) in set_attributes holding &kvm->slots_lock, &mapping->invalidate_lock, &kvm_tdx->pamt_cache_lock, &kvm->mmu_lock
// Pinned from scenarios/catalogue/topup-under-mmu-lock.ts (content hash 53f15be4d08906f2) at its minimal
// schedule: 15 steps, 1 switch. Written by `septcheck regress add`.
import { defineRegression } from 'septcheck';
import base from '../catalogue/topup-under-mmu-lock.ts';

export default defineRegression(base, {
  name: "topup-under-mmu-lock",
  kind: "sleep-in-atomic",
  params: {"leaf_level":2,"op":"set_attributes","start":16,"end":18,"vcpu":true},
  maxSteps: 5000,
  schedule: {
    steps: 15,
    switches: [
      { step: 0, thread: "set_attributes", op: "start" },
    ],
  },
});
