// SASL for clients (opcode 102), with the one mechanism ZooKeeper offers without Kerberos:
// DIGEST-MD5 (RFC 2831, qop "auth"), against the users of the JAAS file's `Server` section
// (DigestLoginModule's `user_<name>="<password>"` options), as ZooKeeper's SaslServer does.
// ZooKeeper names the server `zk-sasl-md5`: the realm of the challenge and the host part of the
// digest-uri. Success gives the connection the id `sasl:<user>` (the reducer learns it: WATCH-7).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Code } from '../tree/index.ts';
import { encodeError, encodeReply } from '../wire/protocol.ts';
import { digestMd5, parseDirectives } from '../wire/sasl-digest.ts';
import type { Connection } from './connection.ts';
import type { Logger } from './logger.ts';

export const SASL_REALM = 'zk-sasl-md5';

/** The JAAS file's `Server { … }` users: name → password. Throws with the file name if unreadable. */
export function jaasUsers(file: string): ReadonlyMap<string, string> {
  const text = readFileSync(file, 'utf8');
  const section = /(^|\s)Server\s*\{([\s\S]*?)\}\s*;/.exec(text)?.[2] ?? '';
  return new Map([...section.matchAll(/\buser_([^\s=]+)\s*=\s*"([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

export type SaslStep =
  | { readonly type: 'challenge'; readonly token: Uint8Array }
  | { readonly type: 'success'; readonly token: Uint8Array; readonly user: string }
  | { readonly type: 'failure'; readonly why: string };

/** One connection's DIGEST-MD5 exchange: the first token gets the challenge, the second is checked. */
export class DigestMd5Server {
  private readonly nonce: string;
  private stage: 'start' | 'challenged' | 'done' = 'start';

  constructor(
    private readonly users: ReadonlyMap<string, string>,
    nonce = randomBytes(24).toString('base64'),
  ) {
    this.nonce = nonce;
  }

  step(token: Uint8Array): SaslStep {
    switch (this.stage) {
      case 'start':
        this.stage = 'challenged';
        return {
          type: 'challenge',
          token: Buffer.from(`realm="${SASL_REALM}",nonce="${this.nonce}",qop="auth",charset=utf-8,algorithm=md5-sess`),
        };
      case 'challenged':
        this.stage = 'done';
        return this.verify(parseDirectives(Buffer.from(token).toString('utf8')));
      case 'done':
        return { type: 'failure', why: 'the exchange is over' };
    }
  }

  private verify(d: Map<string, string>): SaslStep {
    const user = d.get('username');
    const password = user === undefined ? undefined : this.users.get(user);
    if (user === undefined || password === undefined) return { type: 'failure', why: `unknown user ${user ?? '(none)'}` };
    const [nonce, cnonce, nc, qop, uri, response] = ['nonce', 'cnonce', 'nc', 'qop', 'digest-uri', 'response'].map((k) => d.get(k));
    if (nonce !== this.nonce) return { type: 'failure', why: 'nonce mismatch' };
    if (!cnonce || !nc || !uri || !response || (qop ?? 'auth') !== 'auth') return { type: 'failure', why: 'incomplete response' };
    const authzid = d.get('authzid');
    const fields = { user, realm: d.get('realm') ?? SASL_REALM, password, nonce, cnonce, nc, uri, authzid };
    const expected = Buffer.from(digestMd5(fields, 'AUTHENTICATE'));
    const got = Buffer.from(response.toLowerCase());
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) return { type: 'failure', why: `wrong password for ${user}` };
    return { type: 'success', token: Buffer.from(`rspauth=${digestMd5(fields, '')}`), user: authzid || user };
  }
}

/** A SASL DIGEST-MD5 token: each answered in order; a failure answers AuthFailed and closes, as ZooKeeper. */
export function answerSasl(conn: Connection, xid: number, token: Uint8Array | null, users: ReadonlyMap<string, string>, zxid: bigint, logger: Logger): void {
  conn.sasl ??= new DigestMd5Server(users);
  const step = conn.sasl.step(token ?? new Uint8Array(0));
  if (step.type === 'failure') {
    logger.info('SASL authentication failed', { remote: conn.remote, why: step.why });
    conn.push({ xid, reply: encodeError(xid, zxid, Code.AuthFailed), close: true });
    return;
  }
  if (step.type === 'success') {
    if (!conn.auth.some((a) => a.scheme === 'sasl' && a.id === step.user)) conn.auth.push({ scheme: 'sasl', id: step.user });
    logger.debug('SASL authenticated', { remote: conn.remote, user: step.user });
  }
  conn.push({ xid, reply: encodeReply(xid, zxid, 'sasl', { token: step.token }) });
}
