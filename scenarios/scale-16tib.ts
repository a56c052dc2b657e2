// Sparse state with counted cost: a 16 TiB guest_memfd with 1000 scattered 2M private
// mappings, and a 12 TiB PUNCH_HOLE. The walk must examine only the tables that
// exist (counted as the kernel's tdp_iter would), and memory must follow what is
// mapped, not the size of the guest. Reports the SPTEs the walks visited.
import { defineScenario, type Run } from '../src/engine/index.ts';
import {
  KVM_PAGES_PER_HPAGE,
  PG_LEVEL_2M,
  kvm_create_vm,
  kvm_gmem_of,
  kvm_gmem_fallocate, FALLOC_FL_PUNCH_HOLE,
  kvm_install_invariants,
  tdx_premap_private,
  type kvm,
} from '../src/kvm/index.ts';

export interface scale_params {
  /** guest_memfd size, in 4 KiB pages. */
  readonly gmem_pages: number;
  readonly mappings: number;
  /** The hole, in 4 KiB pages. */
  readonly hole_start: number;
  readonly hole_len: number;
}

const TiB = 2 ** 40 / 4096;

export const scale_16tib_params: scale_params = {
  gmem_pages: 16 * TiB,
  mappings: 1000,
  hole_start: 2 * TiB,
  hole_len: 12 * TiB,
};

/** The 2M blocks mapped: a multiplicative hash of 0..n-1 over every 2M block of the
 * file (an odd multiplier permutes a power-of-two range, so they are distinct). */
export function scale_mapped_gfns(p: scale_params): number[] {
  const blocks = p.gmem_pages / KVM_PAGES_PER_HPAGE(PG_LEVEL_2M);
  const out: number[] = [];
  for (let i = 0; i < p.mappings; i++) out.push(((i * 2654435761 + 12345) % blocks) * KVM_PAGES_PER_HPAGE(PG_LEVEL_2M));
  return out;
}

/** Builds the VM and spawns the punch-hole thread; returns the VM. */
export function scale_16tib(run: Run, p: scale_params): kvm {
  const vm = kvm_create_vm(run, { gmem_pages: p.gmem_pages, backing: 'hugetlb', nr_vcpus: 1 });
  for (const gfn of scale_mapped_gfns(p)) tdx_premap_private(vm, gfn, PG_LEVEL_2M);
  kvm_install_invariants(vm);
  vm.k.kthread('punch_hole', async () => {
    const r = await kvm_gmem_fallocate(kvm_gmem_of(vm), FALLOC_FL_PUNCH_HOLE, p.hole_start, p.hole_len);
    run.result(`ret=${r} spte_visits=${vm.stat.spte_visits} zaps=${vm.stat.zaps}`);
    run.shared.set('kvm.stat.spte_visits', vm.stat.spte_visits);
  });
  return vm;
}

export default defineScenario<scale_params>({
  name: 'scale-16tib',
  description: '16 TiB guest_memfd, 1000 scattered 2M mappings, a 12 TiB PUNCH_HOLE: cost follows what is mapped',
  expect: 'clean',
  bounds: { strategy: 'random', schedules: 1, fixed: true, maxSteps: 200_000 },
  params: scale_16tib_params,
  validate(p) {
    const blocks = p.gmem_pages / KVM_PAGES_PER_HPAGE(PG_LEVEL_2M);
    if (!Number.isInteger(blocks) || blocks < 1) return `params.gmem_pages: ${p.gmem_pages} is not a positive multiple of 2M (0x200 pages)`;
    if (!(p.mappings >= 0 && p.mappings <= blocks)) return `params.mappings: ${p.mappings} is not in [0, ${blocks}] (the 2M blocks of the file)`;
    if (p.hole_start < 0 || p.hole_len < 1 || p.hole_start + p.hole_len > p.gmem_pages) {
      return `params.hole_len: the hole [0x${p.hole_start.toString(16)}, 0x${(p.hole_start + p.hole_len).toString(16)}) is not inside gmem_pages (0x${p.gmem_pages.toString(16)})`;
    }
    return null;
  },
  setup(run, p) {
    scale_16tib(run, p);
  },
});
