// Regression zap-without-split: invariant:private in zap-without-split (variant v5-44-fixed).
// Reproduces: private GFN 0x40001 has no S-EPT mapping after an S-EPT remove; it lies outside every operation allowed to discard memory (in flight: kvm_gmem_set_attributes[0x40000, 0x40001)) (after step 9)
// Pinned from scenarios/catalogue/zap-without-split.ts (content hash e22f0277d651cea6) at its minimal
// schedule: 10 steps, 1 switch. Written by `septcheck regress add`.
import { defineRegression } from 'septcheck';
import base from '../catalogue/zap-without-split.ts';

export default defineRegression(base, {
  name: "zap-without-split",
  kind: "invariant:private",
  params: {"leaf_level":2,"op":"set_attributes","start":0,"end":1,"vcpu":false},
  maxSteps: 20000,
  schedule: {
    steps: 10,
    switches: [
      { step: 0, thread: "set_attributes", op: "start" },
    ],
  },
});
