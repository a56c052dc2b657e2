// Scenario code can throw anything (a null-prototype object, an object whose toString
// throws, a Symbol) and hand back anything. Describing such a value must never throw
// itself, or a crash of scenario code becomes a crash of the harness.

/** Every JavaScript line terminator, and the other control characters. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** `text` on one line: control characters and line terminators shown as escapes. */
export function oneLine(text: string): string {
  return text.replace(CONTROL, (c) => (c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/** A one-line description of a thrown value; never throws. */
export function describeThrown(e: unknown): string {
  return oneLine(firstLine(rawDescription(e)));
}

function rawDescription(e: unknown): string {
  try {
    if (e instanceof Error) return `${e.message}`;
  } catch {
    // a Proxy, or a getter that throws
  }
  try {
    if (typeof e === 'object' && e !== null) {
      const m = (e as { message?: unknown }).message;
      if (typeof m === 'string') return m;
    }
  } catch {
    // fall through to the type
  }
  try {
    if (typeof e === 'symbol') return e.toString();
    return String(e);
  } catch {
    // String() of a null-prototype object, or a toString that throws
  }
  return `a value that cannot be printed (${typeOf(e)})`;
}

function typeOf(e: unknown): string {
  if (e === null) return 'null';
  if (typeof e !== 'object') return typeof e;
  try {
    const proto = Object.getPrototypeOf(e) as { constructor?: { name?: unknown } } | null;
    if (proto === null) return 'an object with a null prototype';
    const name = proto.constructor?.name;
    return typeof name === 'string' && name !== '' ? `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}` : 'an object';
  } catch {
    return 'an object';
  }
}

function firstLine(s: string): string {
  const i = s.search(/[\n\r\u2028\u2029]/);
  return i < 0 ? s : s.slice(0, i);
}

/** JSON text of a value for a message (parameters, say); never throws. */
export function safeJson(value: unknown): string {
  try {
    const s = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    return s === undefined ? String(value) : oneLine(s);
  } catch {
    return `(${typeOf(value)} that is not JSON)`;
  }
}

/** Where in `file` a thrown value came from, as `line:col`, from its stack (a tsx
 * transform error names it in its message instead); null when it does not say. */
export function thrownAt(e: unknown, file: string): string | null {
  let text = '';
  try {
    if (e instanceof Error) text = `${e.message}\n${e.stack ?? ''}`;
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const i = line.indexOf(file);
    if (i < 0) continue;
    const m = /^:(\d+)(?::(\d+))?/.exec(line.slice(i + file.length));
    if (m !== null) return `${m[1]}${m[2] === undefined ? '' : `:${m[2]}`}`;
  }
  return null;
}
