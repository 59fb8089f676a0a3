// How the dumps print values: data as text when it is printable UTF-8 (else base64), ACLs as
// zkCli prints them (scheme:id:cdrwa), 64-bit ids and zxids in hex, times in ISO 8601 (UTC).
import type { Acl } from '../tree/index.ts';

const DECODER = new TextDecoder('utf-8', { fatal: true });

/** The data's text, when it is UTF-8 without control characters other than tab and newline. */
export function printable(d: Uint8Array): string | undefined {
  let s: string;
  try {
    s = DECODER.decode(d);
  } catch {
    return undefined;
  }
  return /[\u0000-\u0008\u000b-\u001f\u007f]/.test(s) ? undefined : s;
}

/** For text: 'text', base64:…, or null. */
export function dataText(d: Uint8Array | null): string {
  if (d === null) return 'null';
  const s = printable(d);
  return s === undefined ? `base64:${Buffer.from(d).toString('base64')}` : JSON.stringify(s);
}

/** For JSON: { data: text } when printable, { dataBase64 } otherwise; { data: null } for null. */
export function dataJson(d: Uint8Array | null): { data: string | null } | { dataBase64: string } {
  if (d === null) return { data: null };
  const s = printable(d);
  return s === undefined ? { dataBase64: Buffer.from(d).toString('base64') } : { data: s };
}

/** zkCli's letters for a permission mask (c d r w a). */
export function permText(p: number): string {
  // ZooDefs.Perms: READ 1, WRITE 2, CREATE 4, DELETE 8, ADMIN 16; zkCli prints c d r w a.
  const bits: [string, number][] = [['c', 4], ['d', 8], ['r', 1], ['w', 2], ['a', 16]];
  const known = bits.map(([l, b]) => (p & b ? l : '')).join('');
  const rest = p & ~31;
  return rest ? `${known}+0x${rest.toString(16)}` : known || '-';
}

export const aclText = (acl: readonly Acl[]): string => `[${acl.map((a) => `${a.id.scheme}:${a.id.id}:${permText(a.perms)}`).join(', ')}]`;
export const aclJson = (acl: readonly Acl[]): { perms: number; scheme: string; id: string }[] => acl.map((a) => ({ perms: a.perms, scheme: a.id.scheme, id: a.id.id }));

export const hex = (v: bigint | number): string => `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;

/** Milliseconds since 1970 as ISO 8601; a value no Date holds as itself. */
export function timeText(ms: bigint | number): string {
  const n = Number(ms);
  const d = new Date(n);
  return Number.isFinite(d.getTime()) ? d.toISOString() : String(ms);
}

/** JSON.stringify with bigints (ids, zxids) as hex strings. */
export const jsonLine = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? hex(x) : x));
