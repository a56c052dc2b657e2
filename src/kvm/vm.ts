// Creating a TD (virt/kvm/kvm_main.c kvm_create_vm(), arch/x86/kvm/vmx/tdx.c
// tdx_vm_init(), kvm_mmu_init_tdp_mmu()): the locks, the roots, the vCPUs, one
// memslot bound to a guest_memfd. Runs in a scenario's setup, before any thread.
import type { Run } from '../engine/index.ts';
import { upstream, type kvm_functions } from './functions.ts';
import { tdx_host_of, tdx_pamt_cache, type tdx_host_opts } from './dpamt.ts';
import { tdx_guest } from './guest.ts';
import { kvm_gmem, type gmem_backing } from './guest_memfd.ts';
import { model_key, record_fields } from './footprint.ts';
import { interval_map } from './interval_map.ts';
import { Kernel, mutex, mutex_init, rwlock_init, rwlock_t, spinlock_t } from './kernel.ts';
import { INVALID_GPA, KVM_MEMORY_ATTRIBUTE_PRIVATE, type kvm, type kvm_memory_slot, type kvm_vm_stat } from './kvm.ts';
import { PT64_ROOT_4LEVEL } from './levels.ts';
import { kvm_model } from './model.ts';
import { tdx_td } from './tdx_module.ts';
import { kvm_vcpu } from './vcpu.ts';
import { kvm_describer } from './describe.ts';

export interface kvm_create_vm_opts {
  /** guest_memfd size in 4 KiB pages, bound at GFN 0. */
  readonly gmem_pages: number;
  /** Default 'hugetlb'. */
  readonly backing?: gmem_backing;
  /** Order of a huge folio; default 9 (2 MiB). */
  readonly huge_order?: number;
  readonly nr_vcpus?: number;
  /** Default 4-level EPT. */
  readonly root_level?: number;
  /** Memory starts private (a TD's usual start); default true. */
  readonly private?: boolean;
  /** The functions the VM calls (a variant's, variant.fn); default: upstream's. */
  readonly functions?: kvm_functions;
  /** Functions replaced on top of `functions` (tests; a variant is the usual way). */
  readonly overrides?: Partial<kvm_functions>;
  readonly host?: tdx_host_opts;
}

const MMU_INVALIDATE = new model_key('mmu_invalidate');
const VM_BUGGED = new model_key('vm_bugged');

function new_stat(): kvm_vm_stat {
  return { spte_visits: 0, pages: [], splits: 0, zaps: 0, faults: 0, fault_retries: 0, split_alloc_drops: 0, pages_tables: 0 };
}

// kvm_create_vm() + tdx_vm_init(): a TD with its roots and vCPUs.
// Every access to the model's shared state is recorded (footprint.ts), so a
// scenario of the model may declare itself tracked.
export function kvm_create_vm(run: Run, opts: kvm_create_vm_opts): kvm {
  const k = Kernel.of(run);
  const host = tdx_host_of(run, opts.host);
  const root_level = opts.root_level ?? PT64_ROOT_4LEVEL;
  const mmu_lock = new rwlock_t(k, '&kvm->mmu_lock');
  rwlock_init(mmu_lock);
  const slots_lock = new mutex(k, '&kvm->slots_lock');
  mutex_init(slots_lock);
  const call: kvm_functions = opts.overrides === undefined ? (opts.functions ?? upstream) : { ...(opts.functions ?? upstream), ...opts.overrides };
  const vm = {
    run,
    k,
    mmu_lock,
    slots_lock,
    mmu_invalidate_in_progress: 0,
    mmu_invalidate_seq: 0,
    mmu_invalidate_range_start: INVALID_GPA,
    mmu_invalidate_range_end: INVALID_GPA,
    vm_bugged: false,
    stat: new_stat(),
    arch: { tdp_mmu_roots: [], root_level },
    tdx: {
      td: new tdx_td(run, root_level, host.pamt),
      pamt_cache: new tdx_pamt_cache('kvm_tdx->pamt_cache', run),
      // Left for tdx_vm_init() to initialise.
      pamt_cache_lock: new mutex(k, '&kvm_tdx->pamt_cache_lock'),
      prealloc_split_cache_lock: new spinlock_t(k, '&kvm_tdx->prealloc_split_cache_lock'),
    },
    vcpus: [],
    mem_attr_array: new interval_map<number>({ run, key: 'attr' }),
    memslot: null as unknown as kvm_memory_slot,
    call,
    host,
    guest: null as unknown as tdx_guest,
    model: new kvm_model(run),
    next_sp_id: new Map<string, number>(),
  } satisfies kvm as kvm;
  const gmem = new kvm_gmem(vm, opts.gmem_pages, opts.backing ?? 'hugetlb', opts.huge_order ?? 9);
  Object.assign(vm, { memslot: { base_gfn: 0, npages: opts.gmem_pages, gmem: { file: gmem, pgoff: 0 } }, guest: new tdx_guest(vm) });
  // The invalidation's fields share a key: only write mmu_lock holders change them.
  record_fields(vm, run, MMU_INVALIDATE, ['mmu_invalidate_in_progress', 'mmu_invalidate_seq', 'mmu_invalidate_range_start', 'mmu_invalidate_range_end']);
  record_fields(vm, run, VM_BUGGED, ['vm_bugged']);
  call.kvm_tdp_mmu_alloc_root(vm, true);
  call.kvm_tdp_mmu_alloc_root(vm, false);
  call.tdx_vm_init(vm);
  for (let i = 0; i < (opts.nr_vcpus ?? 1); i++) vm.vcpus.push(new kvm_vcpu(vm, i));
  if (opts.private ?? true) vm.mem_attr_array.set(0, opts.gmem_pages, KVM_MEMORY_ATTRIBUTE_PRIVATE);
  // The walks' cost reaches the exploration's figures (and the sweep report).
  run.metric('spteVisits', () => vm.stat.spte_visits);
  if (run.tracing) run.describeWith(kvm_describer(vm));
  return vm;
}

/** The guest_memfd bound to the VM's memslot. */
export function kvm_gmem_of(kvm: kvm): kvm_gmem {
  return kvm.memslot.gmem.file;
}

/** Spawns the thread that runs `vcpu` (kvm_vcpu_ioctl(KVM_RUN)); `body` is what the
 * guest does on it. */
export function kvm_vcpu_thread(vcpu: kvm_vcpu, body: (vcpu: kvm_vcpu) => Promise<unknown>, opts: { cpu?: number } = {}): void {
  const name = vcpu.name;
  vcpu.thread = name;
  vcpu.kvm.k.kthread(name, () => body(vcpu), opts);
}
