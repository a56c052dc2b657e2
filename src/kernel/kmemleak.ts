// kmemleak (mm/kmemleak.c), reduced: when a schedule ends with every thread done, an
// object still allocated is a `memory-leak` finding, reported as kmemleak prints an
// unreferenced object. The model has no memory to scan for pointers, so
// "unreferenced" means "never freed", unless the layer that made the object says
// what still points to it (kmemleak_referenced_by(): a page table still linked into
// a root): with CONFIG_DEBUG_KMEMLEAK on (`checks: { kmemleak: true }`) every object
// counts unless kmemleak_not_leak() exempts it (one a structure keeps); off, only the
// objects marked with kmemleak_must_free() do.
import type { Kernel } from './kernel.ts';
import { objects_of, on_first_object, type kmem_obj } from './kasan.ts';

// The scan runs as the last thread exits. It reads the final state only, which is
// the same in every schedule of one partial order, so it records no footprint: which
// thread happens to exit last does not change what it finds.
on_first_object((k) => k.run.onThreadExit(() => {
  if (k.run.threads.every((t) => t.state === 'done')) kmemleak_scan(k);
}));

// kmemleak_not_leak() in mm/kmemleak.c: never report `obj`.
export function kmemleak_not_leak(obj: kmem_obj | null): void {
  if (obj !== null) obj.kmemleak = 'not_leak';
}

/** septcheck's own (no kernel counterpart): report `obj` if it is not freed by the
 * end of the schedule, whether or not kmemleak is on. */
export function kmemleak_must_free(obj: kmem_obj | null): void {
  if (obj !== null) obj.kmemleak = 'must_free';
}

/** What kmemleak's scan would find pointing at an object: null when something still
 * references it, else the lines that say why nothing does (e.g. a reference taken and
 * never put), printed under the object. Reads the final state only (see above). */
export type kmemleak_scan_fn = () => readonly string[] | null;

/** septcheck's own (the model has no memory for kmemleak to scan): `scan` says
 * whether a structure still points to `obj` at the end of the schedule. */
export function kmemleak_referenced_by(obj: kmem_obj | null, scan: kmemleak_scan_fn): void {
  if (obj !== null) obj.kmemleak_scan = scan;
}

// kmemleak_scan() in mm/kmemleak.c
function kmemleak_scan(k: Kernel): void {
  const why = new Map<kmem_obj, readonly string[]>();
  const leaks = objects_of(k).filter((o) => {
    if (o.state !== 'allocated' || !(o.kmemleak === 'must_free' || (k.kmemleak && o.kmemleak === 'default'))) return false;
    const unreferenced = o.kmemleak_scan === null ? [] : o.kmemleak_scan();
    if (unreferenced === null) return false;
    why.set(o, unreferenced);
    return true;
  });
  if (leaks.length === 0) return;
  const first = leaks[0]!;
  k.report({
    kind: 'memory-leak',
    message: `kmemleak: ${leaks.length} new suspected memory leaks: unreferenced object 0x${first.addr} (size ${first.size}) allocated by ${first.alloc_track.comm} in ${first.alloc_track.stack.join(' <- ')}${why.get(first)?.[0] === undefined ? '' : `; ${why.get(first)![0]!.trim()}`}`,
    report: [`kmemleak: ${leaks.length} new suspected memory leaks (see /sys/kernel/debug/kmemleak)`, ...leaks.flatMap((o) => [...print_unreferenced(o), ...(why.get(o) ?? [])])].join('\n'),
    details: { objects: leaks.map((o) => ({ object: o.key, addr: o.addr, size: o.size, cache: o.cache, allocated: o.alloc_track.plain() })) },
  });
}

// print_unreferenced() in mm/kmemleak.c
function print_unreferenced(o: kmem_obj): string[] {
  const t = o.alloc_track;
  return [
    `unreferenced object 0x${o.addr} (size ${o.size}):`,
    `  comm "${t.comm}", pid ${t.pid}, jiffies ${4294937296 + Math.max(0, t.step)}`,
    `  backtrace (${o.cache}):`,
    ...t.stack.map((f) => `    ${f}`),
  ];
}
