// The parts of a replay's text report around the kernel's own: what ran (scenario,
// steps, threads, switches), where a token's schedule stopped fitting changed code,
// the state a failed check read before and after the step that broke it, and the
// full trace (a livelock's cycle once).
import { footprintLabel, renderTrace, type Finding, type Schedule } from '../../src/engine/index.ts';

export { headline } from '../../src/engine/index.ts';
import { cycleOf } from './interleaving.ts';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `31 steps, 2 threads, 2 switches`: a schedule's first entry starts the first
 * thread, which is no switch. */
export function describeRun(s: Schedule, threads: number): string {
  const switches = Math.max(0, s.switches.length - 1);
  return `${plural(s.steps, 'step')}, ${plural(threads, 'thread')}, ${switches === 0 ? 'no switch' : plural(switches, 'switch', 'switches')}`;
}

/** `scenario PATH (variant), ...` for a finding's run. */
export function whereLine(path: string, variant: string | undefined, f: Finding): string {
  const threads = new Set(f.trace.map((ev) => ev.thread)).size;
  return `scenario ${path} (${variant ?? 'no variant'}), ${describeRun(f.schedule, threads)}`;
}

/** What a token's replay says when its schedule no longer fits the code. */
export function divergedLine(diverged: string): string {
  return `the code changed since the token was made: its schedule no longer fits at ${diverged}; followed thread by thread from there`;
}

/** The state difference: each key the failed check read, before the step that broke
 * it and after; none when the check read no recorded state. */
export function stateDifference(f: Finding): string[] {
  const st = f.state;
  if (st === undefined) return [];
  const what = st.source === 'check' ? `what ${f.kind} read` : `what step ${f.step} touched (${f.kind} records no reads)`;
  const head = `state difference (${what}, before step ${f.step} and after it):`;
  if (st.reads.length === 0) return [head, '  (nothing a describer knows)'];
  const labels = st.reads.map(footprintLabel);
  const w = Math.max(...labels.map((l) => l.length));
  return [
    head,
    ...labels.map((l, i) => {
      const after = st.after[i] ?? '?';
      const before = st.before?.[i];
      const change = before === undefined ? after : before === after ? `${after} (unchanged)` : `${before} -> ${after}`;
      return `  ${l.padEnd(w)}  ${change}`;
    }),
  ];
}

/** The full trace, with the model's events; a livelock's cycle once. */
export function fullTrace(f: Finding): string {
  return renderTrace(f.trace, cycleOf(f));
}
