// Installs the KVM model's invariants on a VM's run. A scenario adds its own with
// run.invariant(name, check) as usual.
import type { kvm } from '../include/linux/kvm_host.ts';
import { install_agreement_invariant } from './agreement.ts';
import { install_caches_invariant } from './caches.ts';
import { install_dpamt_invariant } from './dpamt.ts';
import { install_invalidation_invariant } from './invalidation.ts';
import { install_liveness_invariant } from './liveness.ts';
import { install_private_invariant } from './private.ts';
import { install_tdx_invariant } from './tdx.ts';
import { install_tlb_invariant } from './tlb.ts';

const installers = {
  private: install_private_invariant,
  agreement: install_agreement_invariant,
  tlb: install_tlb_invariant,
  invalidation: install_invalidation_invariant,
  dpamt: install_dpamt_invariant,
  caches: install_caches_invariant,
  tdx: install_tdx_invariant,
  liveness: install_liveness_invariant,
} as const;

/** The model's invariants; a finding from one is `invariant:<name>`. */
export type kvm_invariant_name = keyof typeof installers;
export const kvm_invariant_names = Object.keys(installers) as kvm_invariant_name[];

export interface kvm_invariant_opts {
  /** Invariants not to install. */
  readonly disable?: readonly kvm_invariant_name[];
}

/** Installs every model invariant on `kvm`'s run, except those in `opts.disable`.
 * Call it in setup after the fixtures, so their state is the baseline. */
export function kvm_install_invariants(kvm: kvm, opts: kvm_invariant_opts = {}): void {
  const off = new Set(opts.disable ?? []);
  for (const name of kvm_invariant_names) if (!off.has(name)) installers[name](kvm);
}

export { private_memory_lost } from './private.ts';
export { mirror_sept_disagreement } from './agreement.ts';
export { stale_tlb_entry } from './tlb.ts';
