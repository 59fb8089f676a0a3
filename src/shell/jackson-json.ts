// JSON as the AdminServer's Jackson writes it (INDENT_OUTPUT): `"key" : value`, objects one key a
// line indented two spaces a level, arrays on one line (`[ 1, 2 ]`, `[ ]`, `{ }`), a double as
// Java prints it (`0.0`), a long exactly (session ids pass 2^53: bigint). Key order is kept.
import { javaDouble } from './java-format.ts';

/** A Java double: printed with its `.0` (a plain JS number is printed as a long). */
export class JDouble {
  constructor(readonly value: number) {}
}
export const dbl = (x: number): JDouble => new JDouble(x);

export type JValue = string | number | bigint | boolean | null | JDouble | readonly JValue[] | JObject;
/** An object; a Map keeps numeric-looking keys in insertion order (a plain object would not). */
export type JObject = ReadonlyMap<string, JValue> | { readonly [k: string]: JValue };

const entriesOf = (o: JObject): [string, JValue][] => (o instanceof Map ? [...o] : Object.entries(o));

function scalar(v: Exclude<JValue, readonly JValue[] | JObject>): string {
  if (v === null) return 'null';
  if (v instanceof JDouble) return Number.isFinite(v.value) ? javaDouble(v.value) : `"${javaDouble(v.value)}"`;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function write(v: JValue, level: number): string {
  if (Array.isArray(v)) return v.length === 0 ? '[ ]' : `[ ${v.map((x) => write(x, level)).join(', ')} ]`;
  if (v !== null && typeof v === 'object' && !(v instanceof JDouble)) {
    const entries = entriesOf(v as JObject);
    if (entries.length === 0) return '{ }';
    const pad = '  '.repeat(level + 1);
    const body = entries.map(([k, x]) => `${pad}${JSON.stringify(k)} : ${write(x, level + 1)}`).join(',\n');
    return `{\n${body}\n${'  '.repeat(level)}}`;
  }
  return scalar(v as Exclude<JValue, readonly JValue[] | JObject>);
}

export const jacksonJson = (v: JValue): string => write(v, 0);
