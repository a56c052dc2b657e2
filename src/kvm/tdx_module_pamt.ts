// The TDX module's Physical Address Metadata Table with Dynamic PAMT (RFC v5 "TDX:
// Dynamic PAMT"): which 2 MiB host regions have their 4K-level PAMT, and the
// SEAMCALLs that add and remove it. The host's refcounts are in dpamt.ts.
import type { Run } from '../engine/index.ts';
import { range_write, touch_range } from './footprint.ts';
import { SPTE_ENT_PER_PAGE, type kvm_pfn_t } from './levels.ts';
import { TDX_SUCCESS, type tdx_status } from './tdx_errno.ts';
import { tracepoint } from './tracepoint.ts';

/** The PAMT region (2 MiB of host memory) a PFN lies in. */
export function pamt_region(pfn: kvm_pfn_t): number {
  return Math.floor(pfn / SPTE_ENT_PER_PAGE);
}

const PAMT = 'pamt';

/** The module's Physical Address Metadata Table with Dynamic PAMT: which 2 MiB host
 * regions have their 4K-level PAMT installed (each access recorded by region). */
export class tdx_pamt {
  private readonly installed = new Set<number>();
  /** A region's PAMT or refcount changed, on behalf of guest page `gfn` (-1: unknown). */
  readonly tp_changed = new tracepoint<{ readonly region: number; readonly gfn: number }>('tdx_pamt_changed');

  constructor(
    private readonly run: Run,
    /** Dynamic PAMT enabled (tdx_supports_dynamic_pamt()). */
    readonly dynamic: boolean,
    /** PAMT pages one 2 MiB region needs (tdx_dpamt_entry_pages()). */
    readonly entry_pages: number,
  ) {}

  is_installed(region: number): boolean {
    touch_range(this.run, PAMT, 'read', region, region + 1);
    return this.installed.has(region);
  }

  install(region: number, gfn = -1): void {
    touch_range(this.run, PAMT, 'write', region, region + 1);
    this.installed.add(region);
    this.tp_changed.trace({ region, gfn });
  }

  uninstall(region: number, gfn = -1): void {
    touch_range(this.run, PAMT, 'write', region, region + 1);
    this.installed.delete(region);
    this.tp_changed.trace({ region, gfn });
  }
}

// tdh_phymem_pamt_add() in arch/x86/virt/vmx/tdx/tdx.c
export async function tdh_phymem_pamt_add(pamt: tdx_pamt, run: Run, region: number, pages: number): Promise<tdx_status> {
  await run.point({ kind: 'tdh_phymem_pamt_add', obj: `PAMT[0x${region.toString(16)}]`, footprint: [range_write(PAMT, region, region + 1)] });
  if (pages < pamt.entry_pages) return pamt_status(run, 'TDX_INSUFFICIENT_RESOURCES');
  if (pamt.is_installed(region)) return pamt_status(run, 'TDX_EPT_ENTRY_STATE_INCORRECT');
  pamt.install(region);
  return TDX_SUCCESS;
}

// tdh_phymem_pamt_remove() in arch/x86/virt/vmx/tdx/tdx.c
export async function tdh_phymem_pamt_remove(pamt: tdx_pamt, run: Run, region: number): Promise<tdx_status> {
  await run.point({ kind: 'tdh_phymem_pamt_remove', obj: `PAMT[0x${region.toString(16)}]`, footprint: [range_write(PAMT, region, region + 1)] });
  if (!pamt.is_installed(region)) return pamt_status(run, 'TDX_EPT_ENTRY_STATE_INCORRECT');
  pamt.uninstall(region);
  return TDX_SUCCESS;
}

function pamt_status(run: Run, s: tdx_status): tdx_status {
  run.result(s);
  return s;
}
