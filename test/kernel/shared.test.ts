// Set-up artifacts shared across schedules (kernel/shared.ts): one per key while
// sharing, frozen under `freeze` (a write throws), a new one each time when `fresh`,
// equal either way. The catalogue's differential test is test/catalogue/setup-reuse.test.ts.
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { key_namer, setup_sharing, shared_cache } from '../../src/kernel/shared.ts';

afterEach(() => {
  setup_sharing.fresh = false;
  setup_sharing.freeze = false;
});

describe('shared_cache', () => {
  it('makes one artifact per key and shares it, frozen under freeze', () => {
    setup_sharing.freeze = true;
    let made = 0;
    const of = shared_cache((key) => ({ key, fp: [{ key, access: 'write' as const }], n: ++made }));
    const a = of('lock:x');
    expect(of('lock:x')).toBe(a);
    expect(of('lock:y')).not.toBe(a);
    expect(made).toBe(2);
    expect(Object.isFrozen(a) && Object.isFrozen(a.fp) && Object.isFrozen(a.fp[0])).toBe(true);
    expect(() => {
      (a.fp as { key: string }[]).push({ key: 'z' });
    }).toThrow(TypeError);
  });

  it('makes a fresh, equal artifact every time when fresh', () => {
    const of = shared_cache((key) => ({ key, fp: [{ key, access: 'read' as const }] }));
    const shared = of('srcu:s');
    setup_sharing.fresh = true;
    const a = of('srcu:s');
    const b = of('srcu:s');
    expect(a).not.toBe(b);
    expect(a).not.toBe(shared);
    expect(a).toEqual(shared);
    expect(Object.isFrozen(a)).toBe(false);
  });

  it('names a key the same with or without sharing', () => {
    const name = key_namer('lock:');
    const shared = name('&kvm->mmu_lock');
    setup_sharing.fresh = true;
    expect(name('&kvm->mmu_lock')).toBe(shared);
    expect(shared).toBe('lock:&kvm->mmu_lock');
  });
});

describe('SEPTCHECK_FRESH_SETUP', () => {
  it('starts the process with a fresh set-up every schedule when it is 1, shared otherwise', () => {
    const fresh = (value: string | undefined) => {
      const env = { ...process.env };
      if (value === undefined) delete env.SEPTCHECK_FRESH_SETUP;
      else env.SEPTCHECK_FRESH_SETUP = value;
      const code = "import('./src/kernel/shared.ts').then((m) => process.stdout.write(String(m.setup_sharing.fresh)))";
      return execFileSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8', env });
    };
    expect(fresh('1')).toBe('true');
    expect(fresh(undefined)).toBe('false');
    expect(fresh('0')).toBe('false');
  });
});
