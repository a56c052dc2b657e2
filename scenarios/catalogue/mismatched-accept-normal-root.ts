// RFC v5 41/45 as posted: the mismatched ACCEPT splits the normal root, where the
// private leaf is not; the mirror leaf stays 2M and the guest's ACCEPT exits again
// and again without anything changing.
import { mismatched_accept } from './_accept.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(mismatched_accept, {
  name: 'mismatched-accept-normal-root',
  description: 'kvm_tdp_mmu_split_huge_pages() on vcpu->arch.mmu->root (the normal root): the private 2M leaf is never split, the ACCEPT never completes.',
  variant: 'mismatched-accept-normal-root',
  expect: 'invariant:liveness',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
