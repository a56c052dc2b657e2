// Fault injection as a choice of the search. A scenario gives a budget per fault
// class (`faults: { slab: 1 }`); each unit of budget is an injector thread whose one
// step arms one fault of its class, and the next fault site of that class to run
// consumes it and fails. Where the injector's step falls in the schedule is an
// ordinary scheduling choice: dfs and dpor enumerate it, the samplers draw it, tokens
// record it as a switch, the shrinker moves it (or drops it past the end, where it
// injects nothing). The engine knows no fault class by name: the layers above call
// `shouldFail(run, cls)` at their sites and may give a class a display name.
import type { Run } from './run.ts';
import type { Footprint } from './types.ts';

/** Fault class -> how many faults of it the search may inject in one schedule. */
export type Faults = Readonly<Record<string, number>>;

interface FaultState {
  readonly budget: Faults;
  /** Faults armed and not yet consumed, per class. */
  readonly armed: Map<string, number>;
  /** Faults consumed by a site in this run (the shrinker ranks by it). */
  injected: number;
}

/** The key of a run's FaultState (Run.local()). */
const FAULTS = {};
const names = new Map<string, string>();

/** Registers the fault class `cls` and names its injector threads, e.g. `failslab`
 * for `slab`. The registered classes are the ones a scenario may budget. */
export function nameFaultClass(cls: string, name: string): void {
  names.set(cls, name);
}

/** The fault classes the layers loaded so far have registered, sorted. */
export function faultClasses(): string[] {
  return [...names.keys()].sort();
}

/** The injector thread name prefix of a class: its display name, or `fail_CLS`. */
export function faultClassName(cls: string): string {
  return names.get(cls) ?? `fail_${cls}`;
}

/** The footprint key every site and injector of `cls` writes: dpor orders them. */
export function faultKey(cls: string): string {
  return `fault:${cls}`;
}

/** Gives `run` the scenario's budget (before its setup runs). */
export function setFaults(run: Run, budget: Faults): void {
  run.setLocal<FaultState>(FAULTS, { budget, armed: new Map(), injected: 0 });
}

/** Spawns one injector per unit of budget (after the scenario's setup, so that its
 * threads keep their ids and CPUs). Injectors are `free` (no preemption to switch
 * to) and run on no CPU of the scenario's (CPU -1). */
export function spawnInjectors(run: Run): void {
  const st = run.localOf<FaultState>(FAULTS);
  if (st === undefined) return;
  for (const cls of Object.keys(st.budget).sort()) {
    const n = st.budget[cls]!;
    const fp: Footprint[] = [{ key: faultKey(cls), access: 'write' }];
    for (let i = 1; i <= n; i++) {
      const start = { kind: 'fault_inject', obj: cls, footprint: fp };
      run.spawn(`${faultClassName(cls)}#${i}`, () => void st.armed.set(cls, (st.armed.get(cls) ?? 0) + 1), { cpu: -1, start, free: true });
    }
  }
}

/** Whether the scenario lets the search inject faults of `cls` at all. */
export function faultEnabled(run: Run, cls: string): boolean {
  return (run.localOf<FaultState>(FAULTS)?.budget[cls] ?? 0) > 0;
}

/**
 * A fault site of class `cls`: true when an armed fault is consumed here (the site
 * must then fail). When the class is enabled, the site writes the class's key
 * whether or not it fails, so dpor orders it with the injectors. A disabled class
 * costs nothing and records nothing.
 */
export function shouldFail(run: Run, cls: string): boolean {
  const st = run.localOf<FaultState>(FAULTS);
  if (st === undefined || (st.budget[cls] ?? 0) === 0) return false;
  run.touch({ key: faultKey(cls), access: 'write' });
  const n = st.armed.get(cls) ?? 0;
  if (n === 0) return false;
  st.armed.set(cls, n - 1);
  st.injected++;
  return true;
}

/** Faults consumed by sites in `run` so far. */
export function faultsInjected(run: Run): number {
  return run.localOf<FaultState>(FAULTS)?.injected ?? 0;
}
