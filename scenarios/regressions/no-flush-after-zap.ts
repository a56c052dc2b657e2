// Regression no-flush-after-zap: invariant:tlb in no-flush-after-zap (variant v5-44-fixed).
// Reproduces: vcpu0 TLB still maps shared GFN 0x40010 (4K -> pfn 0x100000040010) after kvm_gmem_set_attributes returned; the 4K SPTE at 0x40010 was zapped or split without a TLB flush (after step 15)
// Pinned from scenarios/catalogue/no-flush-after-zap.ts (content hash bfa85e22bf5cbfbc) at its minimal
// schedule: 16 steps, 2 switches. Written by `septcheck regress add`.
import { defineRegression } from 'septcheck';
import base from '../catalogue/no-flush-after-zap.ts';

export default defineRegression(base, {
  name: "no-flush-after-zap",
  kind: "invariant:tlb",
  params: {"read":16},
  maxSteps: 5000,
  schedule: {
    steps: 16,
    switches: [
      { step: 0, thread: "vcpu0", op: "start" },
      { step: 3, thread: "set_attributes", op: "start" },
    ],
  },
});
