// Regression mismatched-accept-normal-root: invariant:liveness in mismatched-accept-normal-root (variant mismatched-accept-normal-root).
// Reproduces: vcpu0 (vcpu0) keeps retrying GFN 0x40100 (EXIT_ACCEPT_SIZE_MISMATCH) alone with nothing changing: it can never complete (after step 16)
// Pinned from scenarios/catalogue/mismatched-accept-normal-root.ts (content hash e27b7edbe90c26a8) at its minimal
// schedule: 17 steps, 2 switches. Written by `septcheck regress add`.
import { defineRegression } from 'septcheck';
import base from '../catalogue/mismatched-accept-normal-root.ts';

export default defineRegression(base, {
  name: "mismatched-accept-normal-root",
  kind: "invariant:liveness",
  params: {"accept":256,"write":5},
  maxSteps: 5000,
  schedule: {
    steps: 17,
    switches: [
      { step: 0, thread: "vcpu1", op: "start" },
      { step: 3, thread: "vcpu0", op: "start" },
    ],
  },
});
