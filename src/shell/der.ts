// A minimal DER reader: enough of ASN.1 to walk PKCS#12 stores and X.509 names (pkcs12.ts,
// x500-name.ts). Definite lengths only: DER has no other kind, and both keytool and openssl write DER.

export interface Tlv {
  readonly tag: number;
  /** The whole element, header included (an unknown attribute's value is shown as this, in hex). */
  readonly raw: Buffer;
  /** The contents, after the header. */
  readonly value: Buffer;
}

export const Tag = {
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  GENERAL_STRING: 0x1b,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** [0] EXPLICIT, constructed: ContentInfo's content, a SafeBag's value. */
  CONTEXT_0: 0xa0,
  /** [0] IMPLICIT OCTET STRING (EncryptedContentInfo's encryptedContent), primitive. */
  CONTEXT_0_PRIMITIVE: 0x80,
} as const;

export class DerError extends Error {}

/** The element at `at`; `end` is where the next one starts. */
export function readTlv(buf: Buffer, at = 0): Tlv & { readonly end: number } {
  if (at + 2 > buf.length) throw new DerError('truncated DER element');
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not used here');
  let len = buf[at + 1]!;
  let p = at + 2;
  if (len === 0x80) throw new DerError('indefinite length (BER) is not DER');
  if (len > 0x80) {
    const n = len & 0x7f;
    if (n > 4 || p + n > buf.length) throw new DerError('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  const end = p + len;
  if (end > buf.length) throw new DerError('DER element runs past its container');
  return { tag, raw: buf.subarray(at, end), value: buf.subarray(p, end), end };
}

/** Exactly one element filling `buf` (a trailing byte is an error: the encoding is not what it claims). */
export function readOne(buf: Buffer): Tlv {
  const t = readTlv(buf, 0);
  if (t.end !== buf.length) throw new DerError('bytes after the DER element');
  return t;
}

/** The elements of a constructed value (SEQUENCE, SET, an explicit tag). */
export function children(t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < t.value.length; ) {
    const c = readTlv(t.value, at);
    out.push(c);
    at = c.end;
  }
  return out;
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got ${t ? `0x${t.tag.toString(16)}` : 'nothing'}`);
  return t;
}

/** The elements of a SEQUENCE (checked). */
export const seq = (t: Tlv | undefined, what: string): Tlv[] => children(expectTag(t, Tag.SEQUENCE, what));

/** An OBJECT IDENTIFIER in dotted form. */
export function oidOf(t: Tlv | undefined, what = 'OID'): string {
  const v = expectTag(t, Tag.OID, what).value;
  if (v.length === 0) throw new DerError(`${what}: empty OID`);
  const parts: number[] = [];
  let n = 0;
  for (const b of v) {
    n = n * 128 + (b & 0x7f);
    if (b & 0x80) continue;
    if (parts.length === 0) parts.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
    else parts.push(n);
    n = 0;
  }
  return parts.join('.');
}

/** A small non-negative INTEGER (iteration counts, versions, key lengths). */
export function intOf(t: Tlv | undefined, what = 'INTEGER'): number {
  const v = expectTag(t, Tag.INTEGER, what).value;
  if (v.length === 0 || v.length > 6 || (v[0]! & 0x80) !== 0) throw new DerError(`${what}: not a small positive integer`);
  return v.reduce((acc, b) => acc * 256 + b, 0);
}

/** An OCTET STRING's bytes. */
export const octets = (t: Tlv | undefined, what: string): Buffer => expectTag(t, Tag.OCTET_STRING, what).value;

/** A DER certificate as the PEM text node:tls takes. */
export function certPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
