// Harness instrumentation, not a kernel structure: the model's state under a footprint
// key, in words, for a report's state difference (what a failed check read, or what
// the step that broke it touched, before that step and after). Only traced runs
// (replays) register it. Keys as the model records them (`sept:<level>`,
// `spte:<m|d><level>`, `attr`, ...; see footprint.ts), and as some points declare
// them (`sept`, `spte:mirror`, ...).
import type { Describer, Footprint } from '../../engine/index.ts';
import { fmt_gfn, fmt_range, KVM_PAGES_PER_HPAGE, level_name } from '../arch/x86/include/asm/kvm_host.ts';
import { tdp_mmu_leaves } from '../arch/x86/kvm/mmu/tdp_mmu.ts';
import { INVALID_GPA, type kvm, kvm_direct_root, kvm_mirror_root } from '../include/linux/kvm_host.ts';
import type { interval_map } from './interval_map.ts';

/** Runs of an interval map in [lo, hi), `value` rendering each. */
function runs<V>(m: interval_map<V>, lo: number, hi: number, value: (v: V | undefined) => string): string {
  const out: string[] = [];
  for (const p of m.pieces(lo, hi)) out.push(`${fmt_range(p.lo, p.hi)} ${value(p.value)}`);
  return out.length === 0 ? 'empty' : out.join(', ');
}

/** The GFN range a footprint names; the whole address space when it names none. */
function range_of(fp: Footprint): [number, number] {
  return fp.range === undefined ? [0, Number.MAX_SAFE_INTEGER] : [fp.range[0], fp.range[1]];
}

/** A leaf as the describer lists it. */
interface leaf {
  readonly gfn: number;
  readonly level: number;
  readonly pfn: number | null;
  readonly state: string;
}

/** Leaves in order, contiguous runs of one level, state and PFN stride folded into
 * one `N 4K leaves [lo, hi) -> pfn a..b` entry; at most a few entries. */
function leaves(ls: Iterable<leaf>): string {
  const runs: { first: leaf; n: number }[] = [];
  for (const l of ls) {
    const r = runs[runs.length - 1];
    const pages = KVM_PAGES_PER_HPAGE(l.level);
    const next = r === undefined ? null : { gfn: r.first.gfn + r.n * pages, pfn: r.first.pfn === null ? null : r.first.pfn + r.n * pages };
    if (r !== undefined && next !== null && r.first.level === l.level && r.first.state === l.state && next.gfn === l.gfn && next.pfn === l.pfn) r.n++;
    else runs.push({ first: l, n: 1 });
  }
  if (runs.length === 0) return 'no leaf';
  const shown = runs.slice(0, 6).map(({ first: l, n }) => {
    const pfn = (p: number | null) => (p === null ? 'FROZEN_SPTE' : `pfn 0x${p.toString(16)}`);
    const state = l.state === '' ? '' : ` ${l.state}`;
    if (n === 1) return `${level_name(l.level)} leaf ${fmt_gfn(l.gfn)} -> ${pfn(l.pfn)}${state}`;
    const pages = KVM_PAGES_PER_HPAGE(l.level);
    return `${n} ${level_name(l.level)} leaves ${fmt_range(l.gfn, l.gfn + n * pages)} -> ${pfn(l.pfn)}..${l.pfn === null ? '' : `0x${(l.pfn + (n - 1) * pages).toString(16)}`}${state}`;
  });
  return runs.length > 6 ? `${shown.join(', ')}, and ${runs.length - 6} more` : shown.join(', ');
}

/** S-EPT leaves in [lo, hi), at `level` only when given. */
function sept(kvm: kvm, lo: number, hi: number, level?: number): string {
  const out: leaf[] = [];
  for (const e of kvm.tdx.td.leaves_in(lo, hi)) if (level === undefined || e.level === level) out.push({ gfn: e.gfn, level: e.level, pfn: e.pfn, state: e.state });
  return leaves(out);
}

/** Leaves of the mirror or direct root in [lo, hi), at `level` only when given. */
function sptes(kvm: kvm, mirror: boolean, lo: number, hi: number, level?: number): string {
  const out: leaf[] = [];
  for (const l of tdp_mmu_leaves(mirror ? kvm_mirror_root(kvm) : kvm_direct_root(kvm), lo, hi)) {
    if (level === undefined || l.level === level) out.push({ gfn: l.gfn, level: l.level, pfn: l.spte === null ? null : l.spte.pfn, state: '' });
  }
  return leaves(out);
}

/** The describer of one VM's state. */
export function kvm_describer(kvm: kvm): Describer {
  return (fp) => {
    const [lo, hi] = range_of(fp);
    const k = fp.key;
    if (k === 'sept') return sept(kvm, lo, hi);
    if (k.startsWith('sept:')) return sept(kvm, lo, hi, Number(k.slice(5)));
    if (k === 'spte:mirror' || k === 'spte:direct') return sptes(kvm, k === 'spte:mirror', lo, hi);
    if (/^spte:[md]\d$/.test(k)) return sptes(kvm, k[5] === 'm', lo, hi, Number(k[6]));
    if (k === 'attr') return runs(kvm.mem_attr_array, lo, hi, (v) => ((v ?? 0) === 0 ? 'shared' : 'private'));
    if (k === 'guest:accepted') return runs(kvm.guest.accepted, lo, hi, (v) => (v === undefined ? 'not accepted' : `accepted (v${v})`));
    if (k === 'td:content') return runs(kvm.tdx.td.content, lo, hi, (v) => (v === undefined ? '-' : `v${v}`));
    if (k === 'td-epoch' || k === 'td:epoch') return `epoch ${kvm.tdx.td.epoch}`;
    if (k === 'vcpus') return kvm.vcpus.map((v) => `${v.name} ${v.in_guest ? 'in the guest' : 'out of the guest'}`).join(', ');
    if (/^td:vp\d+$/.test(k)) {
      const v = kvm.vcpus.find((x) => x.vcpu_id === Number(k.slice(5)));
      return v === undefined ? null : `${v.name} ${v.in_guest ? 'in the guest' : 'out of the guest'}, entered at epoch ${v.vp.epoch}`;
    }
    if (k.startsWith('pamt_cache:')) {
      const name = k.slice('pamt_cache:'.length);
      const c = [kvm.tdx.pamt_cache, ...kvm.vcpus.map((v) => v.pamt_cache)].find((x) => x.name === name);
      return c === undefined ? null : `${c.cnt} page${c.cnt === 1 ? '' : 's'}`;
    }
    if (k === 'vm_bugged') return String(kvm.vm_bugged);
    const tlb = /^tlb:(.+):([ps])$/.exec(k);
    if (tlb !== null) {
      const v = kvm.vcpus.find((x) => x.name === tlb[1]);
      if (v === undefined) return null;
      const out: leaf[] = [];
      for (const e of v.tlb.values()) if (e.is_private === (tlb[2] === 'p') && e.gfn < hi && e.gfn + KVM_PAGES_PER_HPAGE(e.level) > lo) out.push({ gfn: e.gfn, level: e.level, pfn: e.pfn, state: '' });
      out.sort((a, b) => a.gfn - b.gfn);
      return out.length === 0 ? 'no cached translation' : `cached ${leaves(out)}`;
    }
    if (k === 'mmu_invalidate') {
      const range = kvm.mmu_invalidate_range_start === INVALID_GPA ? 'none' : fmt_range(kvm.mmu_invalidate_range_start, kvm.mmu_invalidate_range_end);
      return `in_progress ${kvm.mmu_invalidate_in_progress}, seq ${kvm.mmu_invalidate_seq}, range ${range}`;
    }
    return null;
  };
}
