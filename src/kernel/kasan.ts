// KASAN (mm/kasan/): every slab object and page the model allocates carries its
// shadow state, allocated or freed, with the stacks that allocated and freed it. An
// access to a freed object is a `use-after-free` finding and a second free a
// `double-free`, reported as mm/kasan/report.c prints them. Accesses go through the
// object (`obj.read('next')`, `obj.write('next', p)`) or kasan_check_read/write(),
// and are recorded as footprints: a free writes the object's key and every access
// reads it, so dpor orders a free with the accesses it races.
import type { FindingInput } from '../engine/index.ts';
import type { Kernel } from './kernel.ts';
import { shared_cache } from './shared.ts';
import { caller_of, save_stack, track } from './stackdepot.ts';
import { current_or_null, type task_struct } from './task.ts';

/** How an object came to be: a slab object (its cache) or pages (their order). */
export type mem_kind = 'slab' | 'page';

/** Per-kernel numbering: addresses in allocation order (labels only: no behaviour
 * depends on them), footprint keys per allocating task, so a key names the same
 * object in every interleaving. */
interface mem_state {
  next_id: number;
  readonly per_owner: Map<string, number>;
  readonly objects: kmem_obj[];
}
/** The key of a run's mem_state (Run.local(): a WeakMap keyed by the kernel would
 * keep every object, and through it the whole run, alive past minor GCs). */
const MEM = {};
const hooks: Array<(k: Kernel) => void> = [];

/** Runs `fn` once per kernel, when it makes its first object (kmemleak's scan). */
export function on_first_object(fn: (k: Kernel) => void): void {
  hooks.push(fn);
}

/** Every object `k` has made, in order. */
export function objects_of(k: Kernel): readonly kmem_obj[] {
  return k.run.localOf<mem_state>(MEM)?.objects ?? [];
}

function state_of(k: Kernel): mem_state {
  let s = k.run.localOf<mem_state>(MEM);
  if (s === undefined) {
    k.run.setLocal(MEM, (s = { next_id: 0, per_owner: new Map(), objects: [] }));
    for (const fn of hooks) fn(k);
  }
  return s;
}

/** A track of the running task (or of set-up, outside any task); its stack is
 * captured only in a detailed run (see stackdepot.ts). */
export function track_here(k: Kernel, top: readonly string[], stack = true): track {
  const t = current_or_null();
  return new track(t?.comm ?? 'swapper', t?.pid ?? 0, k.run.step - 1, top, stack, k.run);
}

const BASE = 'ffff8880';
const hex = (n: number) => n.toString(16).padStart(8, '0');

/** `mem:OWNER/N`, one string per owner and count, shared (shared.ts): the keys are
 * the same in every schedule, so each is hashed once where it is a footprint key. */
const mem_key = shared_cache((owner: string) => shared_cache((n: number) => `mem:${owner}/${n}`));

/** An allocation: a slab object or a block of pages. */
export class kmem_obj {
  readonly id: number;
  /** Footprint key: `mem:TASK/N`, the Nth object that task allocated. */
  readonly key: string;
  state: 'allocated' | 'freed' = 'allocated';
  free_track: track | null = null;
  /** call_rcu()/kfree_rcu() that queued the free (KASAN's aux stack). */
  aux_track: track | null = null;
  /** kmemleak: scanned by default (when on), always, or never. */
  kmemleak: 'default' | 'must_free' | 'not_leak' = 'default';
  /** kmemleak: what still points to it, when the layer that made it knows
   * (kmemleak_referenced_by()); null: nothing once it is not freed. */
  kmemleak_scan: (() => readonly string[] | null) | null = null;
  /** Made on first use: most objects (a table's pages) are never read or written
   * as fields, and there is one per allocation of every schedule. */
  private fields: Map<string, unknown> | null = null;
  private offsets: Map<string, number> | null = null;

  constructor(
    readonly k: Kernel,
    readonly size: number,
    readonly kind: mem_kind,
    /** Slab cache name (`kmalloc-64`, `kvm_mmu_page_header`), or `page`. */
    readonly cache: string,
    readonly alloc_track: track,
    /** Page order, for pages. */
    readonly order = 0,
  ) {
    const s = state_of(k);
    this.id = ++s.next_id;
    const owner = alloc_track.pid === 0 ? 'setup' : alloc_track.comm;
    const n = (s.per_owner.get(owner) ?? 0) + 1;
    s.per_owner.set(owner, n);
    this.key = mem_key(owner)(n);
    s.objects.push(this);
  }

  /** The object's address, as KASAN prints it. */
  get addr(): string {
    return `${BASE}${hex((this.kind === 'page' ? 0x40000000 : 0x00100000) + this.id * (this.kind === 'page' ? 0x200000 : 0x1000))}`;
  }

  addr_at(offset: number): string {
    return `${BASE}${hex(parseInt(this.addr.slice(BASE.length), 16) + offset)}`;
  }

  /** Reads a field (8 bytes); a freed object is a use-after-free. `ip` names the
   * function for the report; by default the caller in the JavaScript stack. */
  read<T = unknown>(field: string, ip?: string): T {
    this.k.run.touch({ key: this.key, access: 'read' });
    this.k.run.touch({ key: `${this.key}.${field}`, access: 'read' });
    if (this.state === 'freed') kasan_report(this, false, 8, this.offset_of(field), ip);
    return this.fields?.get(field) as T;
  }

  /** Writes a field (8 bytes); a freed object is a use-after-free. */
  write(field: string, value: unknown, ip?: string): void {
    this.k.run.touch({ key: this.key, access: 'read' });
    this.k.run.touch({ key: `${this.key}.${field}`, access: 'write' });
    if (this.state === 'freed') kasan_report(this, true, 8, this.offset_of(field), ip);
    else (this.fields ??= new Map()).set(field, value);
  }

  private offset_of(field: string): number {
    const offsets = (this.offsets ??= new Map());
    let o = offsets.get(field);
    if (o === undefined) offsets.set(field, (o = Math.min(offsets.size * 8, Math.max(0, this.size - 8))));
    return o;
  }
}

// kasan_check_read() in include/linux/kasan-checks.h: a raw access of `size` bytes.
export function kasan_check_read(obj: kmem_obj, size: number, ip?: string): boolean {
  obj.k.run.touch({ key: obj.key, access: 'read' });
  if (obj.state !== 'freed') return true;
  kasan_report(obj, false, size, 0, ip);
  return false;
}

// kasan_check_write() in include/linux/kasan-checks.h: a raw write conflicts with
// every other access of the object.
export function kasan_check_write(obj: kmem_obj, size: number, ip?: string): boolean {
  obj.k.run.touch({ key: obj.key, access: 'write' });
  if (obj.state !== 'freed') return true;
  kasan_report(obj, true, size, 0, ip);
  return false;
}

/** Marks `obj` freed by the running task, or reports the double free (true when
 * the free may go on). `fn` is the freeing primitive (`kfree`), `via` what called
 * it where no model function did (`rcu_do_batch`). */
export function kasan_slab_free(obj: kmem_obj, fn: string, via: readonly string[] = []): boolean {
  obj.k.run.touch({ key: obj.key, access: 'write' });
  const here = track_here(obj.k, [fn, ...via]);
  if (obj.state === 'freed') {
    obj.k.report(double_free(obj, here));
    return false;
  }
  obj.state = 'freed';
  obj.free_track = here;
  return true;
}

const bug_type = (obj: kmem_obj) => (obj.kind === 'slab' ? 'slab-use-after-free' : 'use-after-free');

// kasan_report() in mm/kasan/report.c: an access of freed memory.
function kasan_report(obj: kmem_obj, is_write: boolean, size: number, offset: number, ip: string | undefined): void {
  const t = current_or_null();
  const stack = save_stack([]);
  const fn = ip ?? stack[0] ?? t?.comm ?? 'unknown';
  const what = `${is_write ? 'Write' : 'Read'} of size ${size} at addr ${obj.addr_at(offset)} by task ${t?.label ?? 'swapper/0'}`;
  const report = [
    ...header(`${bug_type(obj)} in ${fn}`),
    what,
    '',
    ...call_trace(t, 'kasan_report', ip === undefined ? stack : [ip, ...stack]),
    ...object_lines(obj, offset),
    ...footer(),
  ];
  obj.k.report({
    kind: 'use-after-free',
    message: `BUG: KASAN: ${bug_type(obj)} in ${fn}: ${what}`,
    report: report.join('\n'),
    details: details(obj, t, { access: is_write ? 'write' : 'read', size, offset, function: fn }),
  });
}

// kasan_report_invalid_free() in mm/kasan/report.c: the object is already free.
function double_free(obj: kmem_obj, here: track): FindingInput {
  const t = current_or_null();
  const fn = caller_of(here.stack, here.stack[0]!);
  const report = [...header(`double-free in ${fn}`), `Free of addr ${obj.addr} by task ${t?.label ?? 'swapper/0'}`, '', ...call_trace(t, 'kasan_report_invalid_free', here.stack), ...object_lines(obj, 0), ...footer()];
  return {
    kind: 'double-free',
    message: `BUG: KASAN: double-free in ${fn}: Free of addr ${obj.addr} by task ${t?.label ?? 'swapper/0'}`,
    report: report.join('\n'),
    details: details(obj, t, { function: fn }),
  };
}

const RULE = '==================================================================';
const header = (title: string) => [RULE, `BUG: KASAN: ${title}`];
const footer = () => [RULE];

/** The reporting task's stack, innermost first, below KASAN's own frame. */
function call_trace(t: task_struct | null, top: string, stack: readonly string[]): string[] {
  const who = t === null ? 'CPU: 0 PID: 0 Comm: swapper' : `CPU: ${t.cpu} PID: ${t.pid} Comm: ${t.comm}`;
  return [who, 'Call Trace:', ' <TASK>', ` ${top}`, ...stack.map((f) => ` ${f}`), ' </TASK>', ''];
}

function track_lines(title: string, tr: track): string[] {
  return [`${title} by task ${tr.pid}:`, ...tr.stack.map((f) => ` ${f}`), ''];
}

/** Allocated by / Freed by / the object's place, as print_address_description(). */
function object_lines(obj: kmem_obj, offset: number): string[] {
  const out = [...track_lines('Allocated', obj.alloc_track)];
  if (obj.free_track !== null) out.push(...track_lines('Freed', obj.free_track));
  if (obj.aux_track !== null) out.push('Last potentially related work creation:', ...obj.aux_track.stack.map((f) => ` ${f}`), '');
  const end = obj.addr_at(obj.size);
  if (obj.kind === 'slab') out.push(`The buggy address belongs to the object at ${obj.addr}`, ` which belongs to the cache ${obj.cache} of size ${obj.size}`);
  else out.push(`The buggy address belongs to the physical page at ${obj.addr} (order ${obj.order})`);
  out.push(`The buggy address is located ${offset} bytes inside of`, ` ${obj.state === 'freed' ? 'freed ' : ''}${obj.size}-byte region [${obj.addr}, ${end})`, '');
  return out;
}

function details(obj: kmem_obj, t: task_struct | null, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    ...extra,
    thread: t?.comm,
    addr: obj.addr,
    object: obj.key,
    cache: obj.cache,
    size: obj.size,
    allocated: obj.alloc_track.plain(),
    freed: obj.free_track?.plain() ?? null,
  };
}
