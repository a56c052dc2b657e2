// Shared set-up of the catalogue: a TD whose functions come from a registered
// variant and knobs, and the definition every catalogue scenario goes through, so
// its `variant` names a registered variant and its name and description carry the
// knobs.
import {
  defineScenario,
  fmt_gfn,
  fmt_range,
  level_name,
  kvm_create_vm,
  kvm_state_hash,
  KVM_PAGES_PER_HPAGE,
  PG_LEVEL_1G,
  PG_LEVEL_2M,
  variant_by_name,
  variant_label,
  variants,
  withKnobs,
  type Arbitrary,
  type Bounds,
  type Checks,
  type Faults,
  type gmem_backing,
  type Knobs,
  type kvm,
  type kvm_functions,
  type Run,
  type Scenario,
} from 'septcheck';

/** GFNs in a 2M and in a 1G page. */
export const P2M = KVM_PAGES_PER_HPAGE(PG_LEVEL_2M);
export const P1G = KVM_PAGES_PER_HPAGE(PG_LEVEL_1G);

/** The patch version a scenario runs: a registered variant and knobs on top. */
export interface td_variant {
  readonly variant: string;
  readonly knobs?: Partial<Knobs>;
}

export interface td_layout {
  /** guest_memfd size in 4 KiB pages; default 2 GiB. */
  readonly gmem_pages?: number;
  readonly backing?: gmem_backing;
  readonly huge_order?: number;
  readonly nr_vcpus?: number;
  /** Memory starts private; default true. */
  readonly private?: boolean;
}

/** The largest private leaf `v` maps (a scenario's fixtures keep to it). An
 * unregistered variant is left for the scenario check to name. */
export function td_max_private_level(v: td_variant): number {
  return variants.find((x) => x.name === v.variant)?.max_private_level ?? PG_LEVEL_1G;
}

const made = new WeakMap<td_variant, kvm_functions>();

/** The functions a TD of `v` calls: the variant's, with the knobs. The table is
 * frozen, so one is made per `v` (a scenario's) and shared by its schedules. */
export function td_functions(v: td_variant): kvm_functions {
  let fn = made.get(v);
  if (fn === undefined) made.set(v, (fn = withKnobs(variant_by_name(v.variant), v.knobs ?? {}).fn));
  return fn;
}

/** The TD of one schedule, built with the variant's functions (or `functions`, derived from them). */
export function td_create(run: Run, v: td_variant, layout: td_layout = {}, functions: kvm_functions = td_functions(v)): kvm {
  const vm = kvm_create_vm(run, { gmem_pages: 2 * P1G, ...layout, functions });
  run.setLocal(VM, vm);
  return vm;
}

/** The key of the VM each run created, for its terminal-state hash (Run.local(): a
 * WeakMap keyed by the run would keep every VM alive past minor GCs). */
const VM = {};

/** The VM `run` created (for checks that look at the model from outside, e.g. tests). */
export function td_of(run: Run): kvm | undefined {
  return run.localOf<kvm>(VM);
}

/** `variant knob=value ...`, the knobs the scenario sets on top of the variant. An
 * unregistered variant is left for the scenario check to name (`septcheck` reports
 * the field), so it reads back as written. */
export function td_label(v: td_variant): string {
  if (!variants.some((x) => x.name === v.variant)) return v.variant;
  return variant_label(variant_by_name(v.variant), v.knobs);
}

// Parameter checks, for a family's `validate`: each returns null when the value fits,
// else one line naming the field and what was expected.

/** `params.<field>` is an integer in [min, max]. */
export function check_int(field: string, value: unknown, min: number, max: number): string | null {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return null;
  return `params.${field}: ${String(value)} is not an integer in [${fmt_gfn(min)}, ${fmt_gfn(max)}]`;
}

/** `params.<field>` is one of the page-table levels in `allowed`. */
export function check_level(field: string, value: unknown, allowed: readonly number[]): string | null {
  if (typeof value === 'number' && allowed.includes(value)) return null;
  const names = allowed.map((l) => `${l} (${level_name(l)})`).join(' or ');
  return `params.${field}: ${String(value)} is not a level this scenario maps (expected ${names})`;
}

/** `params.<field>`, an offset into the level-`level` leaf at `base`, stays inside it
 * (`end`: may equal its size). */
export function check_in_leaf(field: string, offset: unknown, base: number, level: number, end = false): string | null {
  const pages = KVM_PAGES_PER_HPAGE(level);
  const max = end ? pages : pages - 1;
  if (typeof offset === 'number' && Number.isInteger(offset) && offset >= (end ? 1 : 0) && offset <= max) return null;
  const gfn = typeof offset === 'number' ? ` (GFN ${fmt_gfn(base + offset)})` : '';
  return `params.${field}: offset ${typeof offset === 'number' ? fmt_gfn(offset) : String(offset)}${gfn} is outside the ${level_name(level)} leaf ${fmt_range(base, base + pages)}`;
}

/** [start, end) lies inside a guest_memfd of `gmem_pages` pages. */
export function check_gfn_range(start: number, end: number, gmem_pages: number): string | null {
  if (start < 0) return `params.start: GFN ${fmt_gfn(start)} is negative`;
  if (end <= start) return `params.end: GFN ${fmt_gfn(end)} is not above start ${fmt_gfn(start)}`;
  if (end > gmem_pages) return `params.end: GFN ${fmt_gfn(end)} is beyond gmem_pages (${fmt_gfn(gmem_pages)})`;
  return null;
}

/** The first problem of several checks, or null. */
export function first_problem(...problems: (string | null)[]): string | null {
  return problems.find((p) => p !== null) ?? null;
}

/** A catalogue scenario of a family: its variant, verdict and bounds, with the
 * family's set-up, default parameters and their arbitrary. */
export interface catalogue_spec<P> extends td_variant {
  readonly name: string;
  /** What this member shows; the family and variant label are appended. */
  readonly description: string;
  readonly expect: string;
  readonly bounds: Bounds;
  readonly params?: P;
  /** Faults the search may inject (see Scenario.faults), e.g. `{ slab: 1 }`. */
  readonly faults?: Faults;
  /** Kernel checks switched on or off (see Scenario.checks). */
  readonly checks?: Checks;
}

export interface family<P> {
  /** One sentence: the layout and the threads. */
  readonly story: string;
  /** The threads and checks share only state whose accesses are recorded (the KVM
   * model, kernel primitives, run.cell/run.state): dpor may reduce. */
  readonly tracked?: boolean;
  readonly params: P;
  /** The parameters a member may draw: what its variant supports. */
  paramsArbitrary?(v: td_variant): Arbitrary<P>;
  /** Checks parameters against the layout and what the variant supports; see
   * Scenario.validate. */
  validate?(params: P, v: td_variant): string | null;
  setup(run: Run, v: td_variant, params: P): void;
}

export function catalogue_scenario<P>(f: family<P>, s: catalogue_spec<P>): Scenario<P> {
  return defineScenario<P>({
    name: s.name,
    description: `${s.description} [${td_label(s)}] ${f.story}`,
    variant: s.variant,
    expect: s.expect,
    bounds: s.bounds,
    params: s.params ?? f.params,
    ...(s.faults === undefined ? {} : { faults: s.faults }),
    ...(s.checks === undefined ? {} : { checks: s.checks }),
    ...(f.tracked === true ? { tracked: true } : {}),
    ...(f.paramsArbitrary === undefined ? {} : { paramsArbitrary: f.paramsArbitrary(s) }),
    ...(f.validate === undefined ? {} : { validate: (p: P) => f.validate!(p, s) }),
    setup: (run, params) => f.setup(run, s, params),
    // Distinct terminal states: coverage figures, and dpor checked against dfs.
    stateHash: (run) => {
      const vm = run.localOf<kvm>(VM);
      return vm === undefined ? '' : kvm_state_hash(vm);
    },
  });
}
