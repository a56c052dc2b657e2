// Regression punch-hole-unaligned: invariant:punch_hole_alignment in punch-hole-unaligned (variant v3-cross-boundary).
// Reproduces: kvm_gmem_punch_hole([0x40000, 0x40001)) on hugetlb backing split a huge leaf; a hole not aligned to the huge page must fail with -EINVAL (after step 34)
// Pinned from scenarios/catalogue/punch-hole-unaligned.ts (content hash 469db6eaa3b672d6) at its minimal
// schedule: 35 steps, 1 switch. Written by `septcheck regress add`.
import { defineRegression } from 'septcheck';
import base from '../catalogue/punch-hole-unaligned.ts';

export default defineRegression(base, {
  name: "punch-hole-unaligned",
  kind: "invariant:punch_hole_alignment",
  params: {"offset":0,"len":1},
  maxSteps: 20000,
  schedule: {
    steps: 35,
    switches: [
      { step: 0, thread: "punch_hole", op: "start" },
    ],
  },
});
