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

/** Prints an input error as one line and exits 2; anything else is a harness bug. */
export function exitOnError(e: unknown): never {
  if (isInputError(e)) {
    process.stderr.write(`septcheck: ${e.message.split('\n')[0]}\n`);
    process.exit(2);
  }
  throw e;
}
