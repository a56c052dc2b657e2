import { createHash } from 'node:crypto';

/** Canonical text of a value: sorted keys, Maps and Sets in insertion order,
 * functions skipped, cycles cut. Objects may define `toJSON`. */
export function canonical(value: unknown): string {
  const seen = new Set<object>();
  const walk = (v: unknown): string => {
    if (v === null || v === undefined) return 'null';
    switch (typeof v) {
      case 'number':
      case 'boolean':
        return String(v);
      case 'bigint':
        return `${v}n`;
      case 'string':
        return JSON.stringify(v);
      case 'function':
      case 'symbol':
        return 'null';
    }
    const o = v as object;
    if (seen.has(o)) return '"<cycle>"';
    seen.add(o);
    let out: string;
    const withJson = o as { toJSON?: () => unknown };
    if (typeof withJson.toJSON === 'function') out = walk(withJson.toJSON());
    else if (Array.isArray(o)) out = `[${o.map(walk).join(',')}]`;
    else if (o instanceof Map) out = `M[${[...o].map(([k, x]) => `${walk(k)}:${walk(x)}`).join(',')}]`;
    else if (o instanceof Set) out = `S[${[...o].map(walk).join(',')}]`;
    else {
      const keys = Object.keys(o).sort();
      out = `{${keys.map((k) => `${JSON.stringify(k)}:${walk((o as Record<string, unknown>)[k])}`).join(',')}}`;
    }
    seen.delete(o);
    return out;
  };
  return walk(value);
}

/** Short stable hash of text. */
export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Short stable hash of a value's canonical text. */
export function stableHash(value: unknown): string {
  return hashText(canonical(value));
}
