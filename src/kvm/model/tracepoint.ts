// Tracepoints (include/linux/tracepoint.h), reduced to what the model needs: the
// modeled functions fire them synchronously inside their step, and the invariants
// register probes that queue what changed, so each check costs what changed.


// struct tracepoint in include/linux/tracepoint-defs.h
export class tracepoint<T> {
  private readonly probes: Array<(ev: T) => void> = [];

  constructor(readonly name: string) {}

  /** register_trace_<name>() */
  register(probe: (ev: T) => void): void {
    this.probes.push(probe);
  }

  /** trace_<name>() */
  trace(ev: T): void {
    for (const p of this.probes) p(ev);
  }

  get enabled(): boolean {
    return this.probes.length > 0;
  }
}
