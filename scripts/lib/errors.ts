import { describeThrown } from '../../src/engine/index.ts';

/** Bad input from the user: printed as one line, exit code 2, no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Errors that are the user's input rather than a harness bug. */
export function isInputError(e: unknown): e is Error {
  if (!(e instanceof Error)) return false;
  return ['UsageError', 'TokenError', 'ScheduleDivergence', 'ScenarioError'].includes(e.name);
}

/** Prints an input error as one line and exits 2. Anything else is a harness bug:
 * its stack trace, and exit 3 (nothing could be judged), never 1, which would read
 * as a missed verdict or a reproduced finding. */
export function exitOnError(e: unknown): never {
  if (isInputError(e)) {
    process.stderr.write(`septcheck: ${e.message.split('\n')[0]}\n`);
    process.exit(2);
  }
  process.stderr.write(`septcheck: internal error, please report it: ${e instanceof Error ? (e.stack ?? e.message) : describeThrown(e)}\n`);
  process.exit(3);
}
