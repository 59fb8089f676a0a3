// DIGEST-MD5's response value (RFC 2831 2.1.2.1, qop "auth"), computed the same way by the
// server that checks a client's response and by the client that answers a challenge.
import { createHash } from 'node:crypto';

const md5 = (...parts: (string | Buffer)[]) => createHash('md5').update(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p))));
const md5hex = (...parts: (string | Buffer)[]) => md5(...parts).digest('hex');

export interface DigestFields {
  readonly user: string;
  readonly realm: string;
  readonly password: string;
  readonly nonce: string;
  readonly cnonce: string;
  readonly nc: string;
  readonly uri: string;
  readonly authzid?: string | undefined;
}

/**
 * The hex digest for `AUTHENTICATE` (the client's `response`) or for '' (the server's `rspauth`):
 * A1 = H(user:realm:password):nonce:cnonce[:authzid], then KD(H(A1), nonce:nc:cnonce:auth:H(A2)).
 */
export function digestMd5(f: DigestFields, method: 'AUTHENTICATE' | ''): string {
  const a1 = md5(md5(`${f.user}:${f.realm}:${f.password}`).digest(), `:${f.nonce}:${f.cnonce}${f.authzid ? `:${f.authzid}` : ''}`).digest('hex');
  return md5hex(`${a1}:${f.nonce}:${f.nc}:${f.cnonce}:auth:${md5hex(`${method}:${f.uri}`)}`);
}

/** `k=v,k="quoted, with \" escapes"` → map (keys lower-cased). */
export function parseDirectives(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*([A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*))\s*(?:,|$)/gy;
  for (let m = re.exec(text); m && m[0] !== ''; m = re.exec(text)) out.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!.trim());
  return out;
}
