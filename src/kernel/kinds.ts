/** The finding kinds the kernel layer raises: lockdep's reports, might_sleep(),
 * RCU, WARN_ON and friends. A scenario's `expect` is checked against these. */
export const KERNEL_KINDS = [
  'sleep-in-atomic',
  'lock-order-inversion',
  'recursive-locking',
  'irq-unsafe-lock',
  'bad-unlock',
  'uninitialized-lock',
  'lock-held-at-exit',
  'preempt-leak',
  'suspicious-rcu',
  'warn-on',
  'kvm-bug-on',
  'cache-exhausted',
  'assert-held-failed',
  'refcount-leak',
  'refcount-uaf',
] as const;

export type KernelKind = (typeof KERNEL_KINDS)[number];
