// Regression topup-short: invariant:caches in topup-short (variant v5-44-fixed).
// Reproduces: kvm_tdx->pamt_cache empty in atomic context: set_attributes needed DPAMT pages for GFN 0x40000 under a spinning lock (after step 14)
// Pinned from scenarios/catalogue/topup-short.ts (content hash 97b5a8350350cd45) at its minimal
// schedule: 15 steps, 1 switch. Written by `septcheck regress add`.
import { defineRegression } from 'septcheck';
import base from '../catalogue/topup-short.ts';

export default defineRegression(base, {
  name: "topup-short",
  kind: "invariant:caches",
  params: {"leaf_level":2,"op":"set_attributes","start":0,"end":1,"vcpu":false},
  maxSteps: 20000,
  schedule: {
    steps: 15,
    switches: [
      { step: 0, thread: "set_attributes", op: "start" },
    ],
  },
});
