// Caches are filled before they are needed: no allocation under a spinning lock
// finds its cache empty (for kvm_mmu_memory_cache the kernel's own cache-exhausted
// check fires first; this covers the DPAMT caches).
import type { kvm } from '../include/linux/kvm_host.ts';
import { fmt_gfn } from '../arch/x86/include/asm/kvm_host.ts';
import type { cache_empty } from '../model/model.ts';
import { change_queue } from './queue.ts';

export function install_caches_invariant(kvm: kvm): void {
  const bad = new change_queue<cache_empty>(kvm.run, 'caches', { drives: true });
  kvm.model.tp_cache_empty.register((ev) => {
    if (ev.atomic) bad.push(ev);
  });
  kvm.run.invariant('caches', () => {
    const ev = bad.drain()[0];
    if (ev === undefined) return null;
    return `${ev.cache} empty in atomic context: ${ev.thread} needed DPAMT pages for GFN ${fmt_gfn(ev.gfn)} under a spinning lock`;
  });
}
