// Lifetimes of the TDP MMU's memory, the harness's side (the kernel functions that
// allocate and free it are in arch/x86/kvm/mmu/tdp_mmu.ts): what kmemleak must see
// freed by the end of a schedule, and what still points to it then. The model has no
// memory for kmemleak to scan, so this says it: a table is referenced while a chain
// of linked entries leads to it from a root on kvm->arch.tdp_mmu_roots, a root while
// only the VM's own reference is left (the VM's teardown would drop it and free the
// root). A table unlinked and never freed, or a root reference taken and never put,
// is a `memory-leak` once every thread is done, with the stacks that took it.
import { Run } from '../../engine/index.ts';
import type { kvm_mmu_page } from '../arch/x86/kvm/mmu/mmu_internal.ts';
import type { kvm } from '../include/linux/kvm_host.ts';
import { get_zeroed_page, GFP_KERNEL_ACCOUNT, kmem_cache_zalloc, kmemleak_must_free, kmemleak_referenced_by, refcount_read, type refcount_t, stackdepot_skip_frames, track } from './kernel.ts';
import { mmu_page_header_cache } from '../arch/x86/kvm/mmu/mmu_internal.ts';

/** A root reference taken and not yet put: who took it, and where (the stack is
 * captured only in a detailed run, and named only if a report prints it). */
interface root_ref {
  readonly thread: string;
  readonly where: track;
}


// The harness's frames are no part of a kernel stack.
stackdepot_skip_frames(/^(root_ref_taken|sp_memory_at_setup)$/);

/** A reference on `root` that kvm_tdp_mmu_get_root() took: remember the stack. */
export function root_ref_taken(root: kvm_mmu_page): void {
  // Kept on the root (not in a WeakMap keyed by it, which minor GCs would keep alive:
  // see Run.local()).
  const run = Run.live;
  (root.refs_held ??= []).push({ thread: run?.current?.name ?? '<setup>', where: new track('', 0, 0, [], true, run) });
}

/** One that kvm_tdp_mmu_put_root() dropped: the latest this thread took, else the oldest. */
export function root_ref_put(root: kvm_mmu_page): void {
  const held = root.refs_held as root_ref[] | null;
  if (held === null || held.length === 0) return;
  const me = Run.live?.current?.name;
  let i = held.length - 1;
  while (i >= 0 && held[i]!.thread !== me) i--;
  held.splice(i >= 0 ? i : 0, 1);
}

/** Why nothing points to `sp` at the end of the schedule, or null when something
 * does (kmemleak_scan_fn). Reads the final state without recording it. */
function sp_unreferenced(kvm: kvm, sp: kvm_mmu_page): string[] | null {
  let cur = sp;
  while (cur.ptep !== null) {
    const parent = cur.ptep.sp;
    const e = parent.peek(cur.ptep.index);
    if (e.tag !== 'nonleaf' || e.child !== cur) {
      return [`  ${sp.name}: a level-${sp.role.level} table no entry links any more (${cur === sp ? 'its' : `its ancestor ${cur.name}'s`} parent entry in ${parent.name} moved on) and nothing freed`];
    }
    cur = parent;
  }
  if (!kvm.arch.tdp_mmu_roots.includes(cur)) {
    return [cur === sp ? `  ${sp.name}: a table never linked into a root, never freed` : `  ${sp.name}: below ${cur.name}, which is no root of the VM any more`];
  }
  if (cur !== sp) return null;
  const count = refcount_read(sp.tdp_mmu_root_count as refcount_t);
  if (count <= 1) return null;
  const kind = sp.role.is_mirror ? 'mirror' : 'direct';
  const lines = [`  ${sp.name} (the ${kind} root): tdp_mmu_root_count is ${count} once every thread is done, 1 of them the VM's own: ${count - 1} kvm_tdp_mmu_get_root() never put (kvm_tdp_mmu_put_root() missing), so the root outlives the VM`];
  for (const r of (sp.refs_held as root_ref[] | null) ?? []) lines.push(`  reference taken by ${r.thread}:`, ...r.where.stack.map((f) => `    ${f}`));
  return lines;
}

/** kmemleak's scan of `sp` (returned: tsx's keepNames, see src/engine/run.ts). */
function scan_of(kvm: kvm, sp: kvm_mmu_page): () => string[] | null {
  return () => sp_unreferenced(kvm, sp);
}

/** The table `sp` got its memory: kmemleak must see its struct freed unless it is
 * still linked (or, for a root, only the VM holds it); its pages count with
 * CONFIG_DEBUG_KMEMLEAK on, referenced as the table is. */
export function kmemleak_track_sp(kvm: kvm, sp: kvm_mmu_page): void {
  const scan = scan_of(kvm, sp);
  kmemleak_must_free(sp.header);
  kmemleak_referenced_by(sp.header, scan);
  kmemleak_referenced_by(sp.spt_page, scan);
  kmemleak_referenced_by(sp.external_spt_page, scan);
}

/** Memory for a table made at set-up (a root, a fixture's table): from the same
 * allocators, where no fault is armed yet. */
export function sp_memory_at_setup(kvm: kvm, sp: kvm_mmu_page, external: boolean): void {
  sp.header = kmem_cache_zalloc(mmu_page_header_cache(kvm.k), GFP_KERNEL_ACCOUNT);
  sp.spt_page = get_zeroed_page(kvm.k, GFP_KERNEL_ACCOUNT);
  if (external) sp.external_spt_page = get_zeroed_page(kvm.k, GFP_KERNEL_ACCOUNT);
  kmemleak_track_sp(kvm, sp);
}
