// Regression concurrent-splitters: invariant:split_once in concurrent-splitters (variant v3-cross-boundary).
// Reproduces: split0 stored table sp4 over table sp5, which split1 had linked, at the 2M entry for GFN 0x40000: the huge leaf was split twice and sp5 is lost (after step 30)
// Pinned from scenarios/catalogue/concurrent-splitters.ts (content hash 46506d9dc25ba377) at its minimal
// schedule: 31 steps, 3 switches. Written by `septcheck regress add`.
import { defineRegression } from 'septcheck';
import base from '../catalogue/concurrent-splitters.ts';

export default defineRegression(base, {
  name: "concurrent-splitters",
  kind: "invariant:split_once",
  params: {"splitters":2},
  maxSteps: 5000,
  schedule: {
    steps: 31,
    switches: [
      { step: 0, thread: "split0", op: "start" },
      { step: 12, thread: "split1", op: "start" },
      { step: 30, thread: "split0", op: "WRITE_ONCE" },
    ],
  },
});
