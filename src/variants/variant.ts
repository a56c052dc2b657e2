// What a patch variant is: the kernel functions one version of the series changes,
// written as overrides of the model's functions by their kernel names (the per-VM
// dispatch of src/kvm/model/functions.ts), on top of a base variant or upstream. Everything
// it does not override keeps the base's version, so a variant file reads as the diff
// of its patch. Knobs (knobs.ts) add the review's bugs on top of any variant.
import { upstream, type kvm_functions } from '../kvm/index.ts';
import { knob_overrides, type Knobs } from './knobs.ts';

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

/** The functions a variant replaces. Given as a function of `base` (the base
 * variant's functions), an override can call the version it replaces:
 * `(base) => ({ tdx_vm_init(kvm) { base.tdx_vm_init(kvm); mutex_init(...); } })`. */
export type Overrides = Partial<kvm_functions> | ((base: kvm_functions) => Partial<kvm_functions>);

export interface VariantDef extends VariantInfo {
  readonly cites: readonly Citation[];
  /** The variant this one changes; upstream's functions when unset. */
  readonly base?: Variant;
  readonly overrides?: Overrides;
  /** Knobs this version sets as posted (the rest keep their correct defaults). */
  readonly knobs?: Partial<Knobs>;
  /** The largest private leaf this version maps (PG_LEVEL_1G when unset): fixtures
   * that map private memory directly must not build a larger one, a state the
   * version never creates. */
  readonly max_private_level?: number;
}

export interface Variant extends VariantDef {
  /** The functions a VM of this variant calls: the base's with the overrides (and
   * knobs) applied. kvm_create_vm(run, { functions: v.fn }). */
  readonly fn: kvm_functions;
  /** Its own overrides, resolved against the base (knobs not included). */
  readonly own: Partial<kvm_functions>;
  /** The names this variant (with its knobs) replaces, for `septcheck list`. */
  readonly changes: readonly string[];
}

/** A variant from its definition: the base's functions, the overrides, then the knobs. */
export function variant(def: VariantDef): Variant {
  const base = def.base?.fn ?? upstream;
  const own = typeof def.overrides === 'function' ? def.overrides(base) : (def.overrides ?? {});
  for (const name of Object.keys(own)) {
    if (!(name in upstream)) throw new Error(`variant ${def.name}: '${name}' is not a modeled kernel function`);
  }
  const with_own: kvm_functions = Object.freeze({ ...base, ...own });
  const knobbed = knob_overrides(with_own, def.knobs ?? {});
  const fn: kvm_functions = Object.freeze({ ...with_own, ...knobbed });
  const changes = [...new Set([...(def.base?.changes ?? []), ...Object.keys(own), ...Object.keys(knobbed)])].sort();
  return { ...def, fn, own, changes };
}
