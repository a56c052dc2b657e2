// Shared state whose every access is recorded, so that partial-order reduction can
// tell which steps commute (in the spirit of loom's `UnsafeCell` and `loom::sync`:
// only what goes through these is seen). A scenario whose threads share state only
// through cells, tracked objects, kernel primitives and a tracked model may declare
// `tracked: true`.
import type { Run } from './run.ts';
import { safeJson } from './thrown.ts';
import type { Footprint } from './types.ts';

/** One shared variable. */
export class Cell<T> {
  /** Its two accesses, made once: a recorded step keeps a reference. */
  private readonly read: Footprint;
  private readonly write: Footprint;

  constructor(
    private readonly run: Run,
    readonly name: string,
    private value: T,
  ) {
    this.read = { key: `cell:${name}`, access: 'read' };
    this.write = { key: `cell:${name}`, access: 'write' };
    // A traced run's report shows the values a failed check read.
    if (run.tracing) run.describeWith((fp) => (fp.key === this.read.key ? safeJson(this.value) : null));
  }

  get(): T {
    this.run.touch(this.read);
    return this.value;
  }

  set(v: T): void {
    this.run.touch(this.write);
    this.value = v;
  }

  /** A read-modify-write in one step. */
  update(fn: (v: T) => T): T {
    this.run.touch(this.write);
    return (this.value = fn(this.value));
  }

  /** The value, without recording a read: for state hashes and reports only. */
  peek(): T {
    return this.value;
  }
}

/** A shared object (plain objects and arrays, nested) whose property reads and
 * writes are recorded per property path: `x.a` and `x.b` commute, `x.a` and `x.a`
 * do not. Adding or deleting a property, or listing them, touches the key set. */
export function tracked<T extends object>(run: Run, name: string, init: T): T {
  if (run.tracing) run.describeWith(describeTracked(`obj:${name}`, init));
  return wrap(run, new WeakMap<object, object>(), init, `obj:${name}`);
}

/** The proxy of `target` at `path`, made once per object (`proxies`). A function of
 * the module, not a closure of tracked() (tsx's keepNames: see src/engine/run.ts). */
function wrap<O extends object>(run: Run, proxies: WeakMap<object, object>, target: O, path: string): O {
  const known = proxies.get(target);
  if (known !== undefined) return known as O;
  const keys = `${path}.#keys`;
  const p = new Proxy(target, {
    get(o, prop, receiver) {
      const v = Reflect.get(o, prop, receiver);
      if (typeof prop !== 'string' || typeof v === 'function') return v;
      run.touch({ key: `${path}.${prop}`, access: 'read' });
      return v !== null && typeof v === 'object' ? wrap(run, proxies, v as object, `${path}.${prop}`) : v;
    },
    set(o, prop, v) {
      if (typeof prop === 'string') {
        if (!Object.prototype.hasOwnProperty.call(o, prop)) run.touch({ key: keys, access: 'write' });
        run.touch({ key: `${path}.${prop}`, access: 'write' });
      }
      return Reflect.set(o, prop, v);
    },
    has(o, prop) {
      if (typeof prop === 'string') run.touch({ key: `${path}.${prop}`, access: 'read' });
      return Reflect.has(o, prop);
    },
    deleteProperty(o, prop) {
      if (typeof prop === 'string') {
        run.touch({ key: keys, access: 'write' });
        run.touch({ key: `${path}.${prop}`, access: 'write' });
      }
      return Reflect.deleteProperty(o, prop);
    },
    ownKeys(o) {
      run.touch({ key: keys, access: 'read' });
      return Reflect.ownKeys(o);
    },
  });
  proxies.set(target, p);
  return p;
}

/** Describes the keys of one tracked object: `obj:NAME.a.b` is the value at `a.b`,
 * `obj:NAME.a.#keys` the property names of `a`. */
function describeTracked(root: string, init: object): (fp: { readonly key: string }) => string | null {
  return (fp) => {
    if (fp.key !== root && !fp.key.startsWith(`${root}.`)) return null;
    const path = fp.key === root ? [] : fp.key.slice(root.length + 1).split('.');
    let v: unknown = init;
    for (const [i, p] of path.entries()) {
      if (v === null || typeof v !== 'object') return 'undefined';
      if (p === '#keys' && i === path.length - 1) return safeJson(Object.keys(v));
      v = (v as Record<string, unknown>)[p];
    }
    return v === undefined ? 'undefined' : safeJson(v);
  };
}
