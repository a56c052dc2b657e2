// What a patch variant is: the kernel code of one version of the series, expressed as
// the KVM model's extension points (src/kvm/hooks.ts) it overrides, with the messages
// it comes from. Knobs (knobs.ts) add the review's bugs on top of any variant.
import type { kvm_tdx_hooks } from '../kvm/index.ts';
import type { Knobs } from './knobs.ts';

/** What `septcheck list` shows of a variant. */
export interface VariantInfo {
  readonly name: string;
  readonly description: string;
}

/** A patch or review message on the list. */
export interface Citation {
  /** Subject line, as posted. */
  readonly subject: string;
  readonly author: string;
  /** Date line, as posted. */
  readonly date: string;
  /** What the variant takes from it. */
  readonly what: string;
}

export interface Variant extends VariantInfo {
  readonly cites: readonly Citation[];
  /** The extension points this version implements its own way; the rest keep the
   * model's defaults. */
  readonly hooks: Partial<kvm_tdx_hooks>;
  /** Knobs this version sets as posted (the rest keep their correct defaults). */
  readonly knobs?: Partial<Knobs>;
  /** The largest private leaf this version maps (PG_LEVEL_1G when unset): fixtures
   * that map private memory directly must not build a larger one, a state the
   * version never creates. */
  readonly max_private_level?: number;
}
