// Certificates for the TLS tests, made with openssl (and keytool, for Java's PKCS12 trust store)
// in a temporary directory: a CA; a server certificate for 127.0.0.1 and localhost; clients with a
// plain subject, a second one, and one whose subject needs every kind of RFC 2253 escaping; a
// peer signed by another CA. EC P-256 keys: quick to make. Stores in PEM and PKCS12.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, tempDir } from './harness.ts';

export const KEYTOOL = ['/usr/bin/keytool'].find((k) => spawnSync(k, ['-help'], { stdio: 'ignore' }).status === 0);

/** The tricky client's subject as openssl -subj takes it. */
export const TRICKY_SUBJECT = '/C=US/O=a, b\\+c/OU=x"y;z/OU=second/CN= cli ent #1 /emailAddress=c@x.org/DC=ex+UID=u1';
/**
 * What Apache ZooKeeper 3.8 (Java 17) calls that client: `whoami` in zkCli over TLS printed this
 * (seen live, 2026-12): the last RDN first, a multi-valued RDN in encoded order, emailAddress as
 * OID=#DER, escaped , + " ; # and the leading and trailing spaces.
 */
export const TRICKY_ID = 'UID=u1+DC=ex,1.2.840.113549.1.9.1=#16076340782e6f7267,CN=\\ cli ent \\#1\\ ,OU=second,OU=x\\"y\\;z,O=a\\, b\\+c,C=US';
/** A second one: = < > \ escaped, UTF-8 kept, serialNumber and title as OID=#DER, STREET a keyword (Apache 3.8's whoami, seen live). */
export const TRICKY2_SUBJECT = '/ST=S t/L=Lo/street=1 Main/title=Dr/serialNumber=42/CN=a=b<c>d é\\\\x';
export const TRICKY2_ID = 'CN=a\\=b\\<c\\>d é\\\\x,2.5.4.5=#13023432,2.5.4.12=#0c024472,STREET=1 Main,L=Lo,ST=S t';

export const CLIENT_ID = 'CN=client,OU=test,O=zabkit';
export const OTHER_ID = 'CN=other,OU=test,O=zabkit';
export const STORE_PASSWORD = 'storepass';
export const KEY_PASSWORD = 'keypass';

export interface Identity {
  readonly key: string;
  readonly cert: string;
  /** key + certificate in one PEM file (ZooKeeper's PEM key store). */
  readonly pem: string;
  /** PKCS12 key store (openssl pkcs12 -export), password STORE_PASSWORD. */
  readonly p12: string;
}

export interface Certs {
  readonly dir: string;
  readonly ca: string;
  readonly server: Identity;
  /** The server's PEM key store with its key encrypted under KEY_PASSWORD. */
  readonly serverEncryptedPem: string;
  /** Java's PKCS12 trust store (keytool -importcert), password STORE_PASSWORD; undefined without keytool. */
  readonly trustP12?: string;
  /** The CA as openssl writes a certificate-only PKCS12 (no trusted-entry mark), password STORE_PASSWORD. */
  readonly opensslTrustP12: string;
  readonly client: Identity;
  readonly other: Identity;
  readonly tricky: Identity;
  readonly tricky2: Identity;
  /** A server certificate for 127.0.0.1 from another CA. */
  readonly evil: Identity;
  remove(): void;
}

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

export function makeCerts(o: { keytool?: boolean } = {}): Certs {
  const dir = tempDir('zabkit-tls-');
  const at = (f: string) => join(dir, f);
  // A fixed openssl config: the string types of the names (UTF8String, PrintableString for C) do not depend on the machine's.
  const conf = at('openssl.cnf');
  writeFileSync(conf, '[req]\ndistinguished_name=dn\nstring_mask=utf8only\nutf8=yes\n[dn]\n[san]\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
  const ssl = (...args: string[]) => run('openssl', args, { OPENSSL_CONF: conf });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string) => {
    ssl('req', '-x509', ...ec, '-keyout', at(`${name}.key`), '-out', at(`${name}.pem`), '-days', '3', '-subj', `/CN=zabkit ${name}`, '-config', conf);
  };
  ca('ca');
  ca('other-ca');
  const identity = (name: string, subject: string, signer = 'ca', san = false): Identity => {
    ssl('req', ...ec, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', subject, '-config', conf);
    ssl('x509', '-req', '-in', at(`${name}.csr`), '-CA', at(`${signer}.pem`), '-CAkey', at(`${signer}.key`), '-CAcreateserial', '-out', at(`${name}.crt`), '-days', '2', ...(san ? ['-extfile', conf, '-extensions', 'san'] : []));
    writeFileSync(at(`${name}-store.pem`), readFileSync(at(`${name}.key`), 'utf8') + readFileSync(at(`${name}.crt`), 'utf8'));
    ssl('pkcs12', '-export', '-in', at(`${name}.crt`), '-inkey', at(`${name}.key`), '-certfile', at(`${signer}.pem`), '-out', at(`${name}.p12`), '-passout', `pass:${STORE_PASSWORD}`);
    return { key: at(`${name}.key`), cert: at(`${name}.crt`), pem: at(`${name}-store.pem`), p12: at(`${name}.p12`) };
  };
  const server = identity('server', '/O=zabkit/CN=server', 'ca', true);
  ssl('pkcs8', '-topk8', '-in', server.key, '-out', at('server-enc.key'), '-v2', 'aes-256-cbc', '-passout', `pass:${KEY_PASSWORD}`);
  writeFileSync(at('server-enc-store.pem'), readFileSync(at('server-enc.key'), 'utf8') + readFileSync(server.cert, 'utf8'));
  ssl('pkcs12', '-export', '-nokeys', '-in', at('ca.pem'), '-out', at('openssl-trust.p12'), '-passout', `pass:${STORE_PASSWORD}`);
  let trustP12: string | undefined;
  if (o.keytool !== false && KEYTOOL) {
    trustP12 = at('trust.p12');
    run(KEYTOOL, ['-J-XX:TieredStopAtLevel=1', '-J-XX:+UseSerialGC', '-importcert', '-noprompt', '-alias', 'ca', '-file', at('ca.pem'), '-keystore', trustP12, '-storetype', 'PKCS12', '-storepass', STORE_PASSWORD]);
  }
  return {
    dir,
    ca: at('ca.pem'),
    server,
    serverEncryptedPem: at('server-enc-store.pem'),
    ...(trustP12 ? { trustP12 } : {}),
    opensslTrustP12: at('openssl-trust.p12'),
    client: identity('client', '/O=zabkit/OU=test/CN=client'),
    other: identity('other', '/O=zabkit/OU=test/CN=other'),
    tricky: identity('tricky', TRICKY_SUBJECT),
    tricky2: identity('tricky2', TRICKY2_SUBJECT),
    evil: identity('evil', '/O=zabkit/CN=evil', 'other-ca', true),
    remove: () => removeDir(dir),
  };
}
