/** The finding kinds the engine itself raises (the kernel adds its own, and every
 * invariant `run.invariant(name, ...)` raises `invariant:<name>`). A scenario's
 * `expect` is checked against these. */
export const ENGINE_KINDS = [
  'deadlock',
  'livelock',
  'thread-exception',
  'setup-exception',
  'invariant-exception',
  'escaped-scheduler',
  'missing-await',
  'replay-diverged',
] as const;
