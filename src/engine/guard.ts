// Calls into a scenario's checks that never throw: an invariant or a state hash that
// throws, or returns what it must not, is a finding of that scenario, not a crash of
// the exploration.
import type { Program } from './program.ts';
import type { Invariant, Run } from './run.ts';
import { thrownFrames } from './stack.ts';
import { describeThrown, safeJson } from './thrown.ts';
import type { FindingInput } from './types.ts';

/** Runs one invariant: null when it holds, else the finding it makes. */
export function checkInvariant(inv: Invariant): FindingInput | null {
  let r: unknown;
  try {
    r = inv.check();
  } catch (e) {
    return { kind: 'invariant-exception', message: `invariant ${inv.name} threw: ${describeThrown(e)}`, details: { stack: thrownFrames(e) } };
  }
  if (r === null || r === undefined) return null;
  if (typeof r === 'string') return { kind: `invariant:${inv.name}`, message: r };
  if (isFindingInput(r)) return r;
  return { kind: 'invariant-exception', message: `invariant ${inv.name} returned ${safeJson(r)}, not null, a message or {kind, message}` };
}

function isFindingInput(r: unknown): r is FindingInput {
  try {
    const f = r as { kind?: unknown; message?: unknown };
    return typeof r === 'object' && typeof f.kind === 'string' && f.kind !== '' && typeof f.message === 'string';
  } catch {
    return false;
  }
}

/** The program's hash of the state `run` ended in; null when it has none. A hash
 * function that throws or returns a non-string makes the run's finding. */
export function stateHashOf(program: Program, run: Run): string | null {
  if (program.stateHash === undefined) return null;
  let h: unknown;
  try {
    h = program.stateHash(run);
  } catch (e) {
    return fail(run, `stateHash threw: ${describeThrown(e)}`, e);
  }
  return typeof h === 'string' ? h : fail(run, `stateHash returned ${safeJson(h)}, not a string`);
}

function fail(run: Run, message: string, thrown?: unknown): null {
  // The run is over, so report() would ignore it: the finding is made here.
  const where = thrown === undefined ? {} : { details: { stack: thrownFrames(thrown) } };
  const f = { kind: 'invariant-exception', message, ...where, step: run.step - 1, trace: run.trace, schedule: run.schedule() };
  run.finding ??= f;
  run.findings.push(f);
  return null;
}
