// A vCPU makes progress once it is alone: a fault or ACCEPT that keeps retrying when
// every other thread has finished, with nothing changed in between, never completes.
import type { kvm } from '../include/linux/kvm_host.ts';
import { fmt_gfn } from '../arch/x86/include/asm/kvm_host.ts';
import type { vcpu_retry } from '../model/model.ts';
import { change_queue } from './queue.ts';

export function install_liveness_invariant(kvm: kvm): void {
  // Each thread counts only its own retries (ev.thread is the thread retrying).
  const stuck = new Map<string, number>();
  const bad = new change_queue<vcpu_retry>(kvm.run, 'liveness', { drives: true });
  kvm.model.tp_vcpu_retry.register((ev) => {
    const key = `${ev.thread}:${ev.gfn}`;
    if (!ev.alone || ev.progress) {
      stuck.delete(key);
      return;
    }
    const n = (stuck.get(key) ?? 0) + 1;
    stuck.set(key, n);
    if (n >= 2) bad.push(ev);
  });
  kvm.run.invariant('liveness', () => {
    const ev = bad.drain()[0];
    if (ev === undefined) return null;
    return `${ev.thread === `vcpu${ev.vcpu_id}` ? ev.thread : `vcpu${ev.vcpu_id} (thread ${ev.thread})`} keeps retrying GFN ${fmt_gfn(ev.gfn)} (${ev.reason}) alone with nothing changing: it can never complete`;
  });
}
