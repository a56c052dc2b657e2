// End to end: checking a fix with the token of the finding it fixes. The code under
// test (_split.ts) is fixed after the token was taken and the finding pinned; the fix
// takes fewer steps, so the token's schedule no longer fits. `replay` follows it
// thread by thread, says where it diverged and exits 0; the pinned regression, whose
// schedule no longer fits either, confirms the fix by exploring its scenario under
// the scenario's own bounds, and passes.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson, removeTempDirs, REPO, septcheck, tempDir, tokenOf, type SweepRecord } from './helpers.ts';

let dir: string;
let token: string;

beforeAll(async () => {
  dir = tempDir('replay-fix');
  for (const f of ['stale-split.ts', '_split.ts']) cpSync(join(REPO, 'test/e2e/fixtures/replay-fix', f), join(dir, f));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  const sweep = await septcheck(['sweep', 'stale-split.ts', '--workers', '1'], dir);
  expect(sweep.code).toBe(0);
  token = tokenOf(sweep.stdout, 'stale-split');
  const pin = await septcheck(['regress', 'add', token, '--name', 'stale-split', '--dir', 'regressions'], dir);
  expect(pin.stdout).toBe('wrote regressions/stale-split.ts\n');
});
afterAll(removeTempDirs);

/** The fix: check the leaf under the write lock, allocating before it (no drop and retake). */
function fix(): void {
  const file = join(dir, '_split.ts');
  const buggy = readFileSync(file, 'utf8');
  const body = buggy.slice(buggy.indexOf('export async function split_leaf'));
  const fixed = [
    'export async function split_leaf(k: Kernel, mmu_lock: rwlock_t, l: leaf): Promise<void> {',
    '  kmalloc(k, 4096, GFP_KERNEL);',
    '  await write_lock(mmu_lock);',
    '  if (l.present && l.huge) l.huge = false;',
    '  await write_unlock(mmu_lock);',
    '}',
    '',
  ].join('\n');
  writeFileSync(file, buggy.replace(body, fixed).replace('read_lock, read_unlock, ', ''));
}

describe('a fix checked with the token of the finding it fixes', () => {
  it('before the fix: the token reproduces (exit 1) and the regression reproduces its finding', async () => {
    const [r, reg] = await Promise.all([septcheck(['replay', token], dir), septcheck(['sweep', 'regressions', '--workers', '1', '--json', 'before.json'], dir)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^invariant:zapped-stays-zapped: /m);
    expect(r.stdout).not.toContain('no longer fits');
    expect(reg.code).toBe(0);
    const [rec] = readJson<SweepRecord[]>(join(dir, 'before.json'));
    expect([rec!.findings[0]?.kind, rec!.met]).toEqual(['invariant:zapped-stays-zapped', true]);
  });

  it('a change that keeps the bug but moves its steps: replay still finds it (exit 1) and says the schedule no longer fits; regress add will not pin it', async () => {
    const file = join(dir, '_split.ts');
    const original = readFileSync(file, 'utf8');
    // One more read-side section after the allocation: the steps from there move by two.
    writeFileSync(file, original.replace('  kmalloc(k, 4096, GFP_KERNEL);\n', '  kmalloc(k, 4096, GFP_KERNEL);\n  await read_lock(mmu_lock);\n  await read_unlock(mmu_lock);\n'));
    try {
      const [r, pin] = await Promise.all([septcheck(['replay', token], dir), septcheck(['regress', 'add', token, '--name', 'moved', '--dir', 'regressions'], dir)]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(
        'the code changed since the token was made: its schedule no longer fits at step 6: the schedule switches to splitter at step 6 for write_lock, the code now to splitter at step 6 for read_lock; followed thread by thread from there',
      );
      expect(r.stdout).toMatch(/^invariant:zapped-stays-zapped: /m);
      expect(pin.code).toBe(2);
      expect(pin.stderr).toMatch(/^septcheck: the token's schedule no longer fits the code \(step \d+: .*\); explore the scenario again for a token to pin\n$/);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('after the fix: replay exits 0 and says where the schedule diverged; the regression confirms the fix and passes', async () => {
    fix();
    const [text, json, reg] = await Promise.all([
      septcheck(['replay', token], dir),
      septcheck(['replay', token, '--json'], dir),
      septcheck(['sweep', 'regressions', '--workers', '1', '--json', 'after.json'], dir),
    ]);
    expect([text.code, json.code]).toEqual([0, 0]);
    expect(text.stderr).toBe('');
    expect(text.stdout).toBe(
      [
        'the code changed since the token was made: its schedule no longer fits at step 6: the schedule switches to splitter for write_lock, but the run ended after 6 steps; followed thread by thread from there',
        'stale-split.ts: the schedule ran clean (6 steps); invariant:zapped-stays-zapped did not reproduce',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(json.stdout)).toMatchObject({ reproduced: false, diverged: expect.stringMatching(/^step 6: /) });

    // The regression: its pinned schedule no longer fits, and exploring its scenario
    // (dfs over every schedule) finds nothing: the fix is confirmed, the verdict met.
    expect(reg.code).toBe(0);
    expect(reg.stdout).toMatch(/^ok {3}regressions\/stale-split\.ts: expected invariant:zapped-stays-zapped, fixed: the pinned schedule no longer fits: step 6: .*; explored with the scenario's bounds: clean, proved for every schedule \(\d+ schedules\)$/m);
    const [rec] = readJson<SweepRecord[]>(join(dir, 'after.json'));
    expect([rec!.findings, rec!.met, rec!.verdict]).toEqual([[], true, 'clean']);
  });

  it('a token whose scenario file changed is still refused (exit 2)', async () => {
    writeFileSync(join(dir, 'stale-split.ts'), `${readFileSync(join(dir, 'stale-split.ts'), 'utf8')}// an edit\n`);
    const r = await septcheck(['replay', token], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^septcheck: scenario changed: stale-split\.ts is not the file this token was made from/);
  });
});
