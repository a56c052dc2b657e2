// Ctrl-C (SIGINT) or SIGTERM during a sweep: stop cleanly rather than die, so the
// sweep can say what finished. A second signal exits at once.
import { constants } from 'node:os';

export interface Interrupt {
  /** The signal that stopped the sweep, or null. */
  readonly signal: NodeJS.Signals | null;
  /** 128 + the signal's number, as a shell reports a process the signal killed. */
  readonly exitCode: number;
  dispose(): void;
}

export function onInterrupt(stop: () => void): Interrupt {
  let signal: NodeJS.Signals | null = null;
  const code = (s: NodeJS.Signals) => 128 + constants.signals[s];
  const handler = (s: NodeJS.Signals) => {
    if (signal !== null) process.exit(code(s));
    signal = s;
    process.stderr.write(`\nseptcheck: ${s}: stopping the running scenarios (again to quit at once)\n`);
    stop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    get signal() {
      return signal;
    },
    get exitCode() {
      return signal === null ? 0 : code(signal);
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
