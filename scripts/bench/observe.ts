import type { Program, Run } from '../../src/engine/index.ts';

/** `program`, calling `onEnd` with each of its runs once that run is over. */
export function observed(program: Program, onEnd: (run: Run) => void): Program {
  return {
    ...program,
    setup(run: Run, params: unknown) {
      program.setup(run, params);
      void run.done.then(() => onEnd(run));
    },
  };
}
