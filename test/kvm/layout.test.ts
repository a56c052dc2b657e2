// The model's layout mirrors the kernel tree (issue "open model", item 6): one model
// file per kernel file, each opening with the kernel path it models; model files call
// each other's functions through the per-VM dispatch (kvm.call), so the runtime
// import graph of src/kvm has no cycle, and src/kvm imports only the layers above it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { upstream } from '../../src/kvm/index.ts';

const SRC = resolve(import.meta.dirname, '../../src');
const KVM = join(SRC, 'kvm');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** The modules `file` imports at run time (type-only imports erased). */
function runtime_imports(file: string): string[] {
  const out: string[] = [];
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^(import|export) (type )?(\{[^}]*\}|\*|[\w$]+)(?: as \w+)? from '([^']+)';/gm)) {
    if (m[2] !== undefined) continue;
    const specs = m[3]!.startsWith('{') ? m[3]!.slice(1, -1).split(',').map((s) => s.trim()).filter(Boolean) : ['*'];
    if (specs.every((s) => s.startsWith('type '))) continue;
    if (m[4]!.startsWith('.')) out.push(resolve(dirname(file), m[4]!));
  }
  return out;
}

const model = files(KVM);
const kernel_tree = model.filter((f) => /\/kvm\/(arch|virt|include)\//.test(f));

describe('src/kvm mirrors the kernel tree', () => {
  it('each model file opens with the kernel path it models', () => {
    expect(kernel_tree.length).toBeGreaterThan(10);
    for (const f of kernel_tree) {
      const first = readFileSync(f, 'utf8').split('\n')[0]!;
      const path = relative(KVM, f).replace(/\.ts$/, '');
      // include/linux/kvm_host.ts models include/linux/kvm_host.h; virt/kvm/kvm_main.ts virt/kvm/kvm_main.c
      expect(first, relative(SRC, f)).toMatch(new RegExp(`^// .*\\b${path.replace(/[/.]/g, (c) => `\\${c}`)}\\.[ch]\\b|^// the TDX module`));
    }
  });

  it('has no import cycle at run time, and imports only the engine and kernel layers above it', () => {
    const graph = new Map(model.map((f) => [f, runtime_imports(f).filter((t) => t.startsWith(SRC))]));
    for (const [f, targets] of graph) {
      for (const t of targets) expect(t.startsWith(KVM) || t.startsWith(join(SRC, 'engine')) || t.startsWith(join(SRC, 'kernel')), `${relative(SRC, f)} imports ${relative(SRC, t)}`).toBe(true);
    }
    // Tarjan-free check: depth-first search for a back edge.
    const state = new Map<string, 'open' | 'done'>();
    const cycle: string[] = [];
    const visit = (f: string, path: string[]): boolean => {
      if (state.get(f) === 'done') return false;
      if (state.get(f) === 'open') return cycle.push(...path.slice(path.indexOf(f)), f), true;
      state.set(f, 'open');
      for (const t of graph.get(f) ?? []) if (graph.has(t) && visit(t, [...path, f])) return true;
      state.set(f, 'done');
      return false;
    };
    for (const f of model) visit(f, []);
    expect(cycle.map((f) => relative(KVM, f))).toEqual([]);
  });

  it('model files call no other model file\'s dispatched function by import (only through kvm.call)', () => {
    const dispatched = new Set(Object.keys(upstream));
    for (const f of kernel_tree) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/^import \{([^}]*)\} from '([^']+)';/gm)) {
        const names = m[1]!.split(',').map((s) => s.trim().replace(/^type /, '')).filter((n) => dispatched.has(n));
        expect(names, `${relative(SRC, f)} imports ${names.join(', ')} from ${m[2]}`).toEqual([]);
      }
    }
  });
});
