// ZooKeeper's TLS settings (ssl.* for clients, ssl.quorum.* for peers) made into what node:tls
// takes: the key store and trust store read (PEM, or PKCS12: a key store through node:tls's
// pfx, a trust store through pkcs12.ts), Java's protocol and cipher suite names mapped to
// OpenSSL's, and the client-certificate policy. Every refusal names the setting that caused it;
// a store is read once, at start, as ZooKeeper reads it (sslQuorumReloadCertFiles and
// client.certReload are warned in config-keys.ts).
import { readFileSync } from 'node:fs';
import { createSecureContext, getCiphers, type SecureContext, type SecureContextOptions } from 'node:tls';
import type { ServerConfig, StoreConfig, TlsConfig } from './config.ts';
import type { Env } from './env.ts';
import type { Logger } from './logger.ts';
import { certPem } from './der.ts';
import { Pkcs12Error, readPkcs12 } from './pkcs12.ts';

/** One side's TLS, ready for node:tls (tls-net.ts). */
export interface TlsEndpoint {
  /** For a listener: node:tls's server builds its context from the options, not from a context. */
  readonly options: SecureContextOptions;
  /** For dialling: the same, built once (and so checked at start: a key that does not open is refused there). */
  readonly context: SecureContext;
  /** Server side: ask for a client certificate (want, need) and refuse a client without one (need). */
  readonly clientAuth: TlsConfig['clientAuth'];
  /** ssl[.quorum].hostnameVerification: a client checks the server's name; a quorum server also checks a peer's certificate against its address. */
  readonly hostnameVerification: boolean;
  /** With hostnameVerification, a server checks its client's certificate against the client's address: ZooKeeper's quorum does, its client port does not. */
  readonly verifyPeerAddress: boolean;
}

export class TlsSetupError extends Error {}

export type TlsPrefix = 'ssl.' | 'ssl.quorum.';

/** Apache 3.8's default suites on Java 9 and later (X509Util): ECDHE with AES-GCM, then AES-CBC. */
const DEFAULT_SUITES = [
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
  'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
  'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
  'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
  'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
];

const VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
type Version = (typeof VERSIONS)[number];

/**
 * A Java (IANA) suite name as OpenSSL spells it, or undefined when there is no clear
 * counterpart in this Node's OpenSSL. TLS 1.3 suites have one name in both.
 */
export function opensslSuite(java: string): string | undefined {
  const known = new Set(getCiphers().map((c) => c.toUpperCase()));
  if (/^TLS_(AES_\d+_GCM|AES_128_CCM(_8)?|CHACHA20_POLY1305)_SHA\d+$/.test(java)) return known.has(java) ? java : undefined;
  const m = /^(?:TLS|SSL)_(ECDHE_ECDSA|ECDHE_RSA|DHE_RSA|DHE_DSS|RSA)_WITH_(AES_(128|256)_(GCM|CBC|CCM)|CHACHA20_POLY1305)_(SHA|SHA256|SHA384)$/.exec(java);
  if (!m) return undefined;
  const [, kx, , bits, mode, mac] = m;
  const prefix = kx === 'RSA' ? '' : `${kx!.replace('_', '-')}-`;
  const cipher = m[2] === 'CHACHA20_POLY1305' ? 'CHACHA20-POLY1305' : mode === 'GCM' ? `AES${bits}-GCM-${mac}` : mode === 'CCM' ? `AES${bits}-CCM` : `AES${bits}-${mac}`;
  const name = `${prefix}${cipher}`;
  return known.has(name) ? name : undefined;
}

/** TLS for one side (ssl.* or ssl.quorum.*). `warn` hears what is dropped; refusals throw TlsSetupError. */
export function tlsEndpoint(c: TlsConfig, prefix: TlsPrefix, role: 'server' | 'peer', warn: (msg: string, key: string) => void): TlsEndpoint {
  const options: SecureContextOptions = { ...versions(c, prefix, warn), ciphers: suites(c, prefix, warn) };
  if (c.keyStore) Object.assign(options, keyStore(c.keyStore, `${prefix}keyStore`));
  else throw new TlsSetupError(`${prefix}keyStore.location is not set: ${role === 'server' ? 'a TLS client port' : 'sslQuorum'} needs this server's certificate and key`);
  if (c.trustStore) options.ca = trustStore(c.trustStore, `${prefix}trustStore`);
  // Without a trust store Java trusts its default CAs; node:tls, its own bundled ones: the same idea.
  let context: SecureContext;
  try {
    context = createSecureContext(options);
  } catch (e) {
    const msg = (e as Error).message;
    const key = c.keyStore;
    const hint = /bad decrypt|mac verify|passphrase|password/i.test(msg) ? ` (wrong ${prefix}keyStore.password?)` : '';
    throw new TlsSetupError(`${key.where}: ${prefix}keyStore.location=${key.location}: ${msg}${hint}`);
  }
  return { options, context, clientAuth: c.clientAuth, hostnameVerification: c.hostnameVerification, verifyPeerAddress: role === 'peer' };
}

function read(s: StoreConfig, key: string): Buffer {
  if (s.type === 'JKS' || s.type === 'BCFKS') {
    const p12 = s.location.replace(/\.[^./]*$/, '') + '.p12';
    const src = s.type === 'BCFKS' ? ' -srcstoretype BCFKS (with the BouncyCastle FIPS provider on -providerpath)' : '';
    throw new TlsSetupError(
      `${s.where}: ${key}.location=${s.location}: a ${s.type} store, which zabkit does not read; convert it to PKCS12 with ` +
        `keytool -importkeystore -srckeystore ${s.location}${src} -destkeystore ${p12} -deststoretype PKCS12, then point ${key}.location at it (and set ${key}.type=PKCS12, or drop ${key}.type)`,
    );
  }
  try {
    return readFileSync(s.location);
  } catch (e) {
    throw new TlsSetupError(`${s.where}: ${key}.location=${s.location}: cannot read it: ${(e as Error).message}`);
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
const blocks = (text: string) => [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1]!, pem: `${m[0]}\n` }));

/** A key store: PEM with the private key (possibly encrypted with the password) and the certificate chain, or PKCS12. */
function keyStore(s: StoreConfig, key: string): SecureContextOptions {
  const bytes = read(s, key);
  if (s.type === 'PKCS12') return { pfx: bytes, ...(s.password !== undefined ? { passphrase: s.password } : {}) };
  const all = blocks(bytes.toString('utf8'));
  const keys = all.filter((b) => b.label.endsWith('PRIVATE KEY'));
  const certs = all.filter((b) => b.label === 'CERTIFICATE');
  if (keys.length === 0) throw new TlsSetupError(`${s.where}: ${key}.location=${s.location}: no private key in this PEM file (a key store holds the key and its certificate chain)`);
  if (certs.length === 0) throw new TlsSetupError(`${s.where}: ${key}.location=${s.location}: no certificate in this PEM file (a key store holds the key and its certificate chain)`);
  if (keys[0]!.label.startsWith('ENCRYPTED') && s.password === undefined) throw new TlsSetupError(`${s.where}: ${key}.location=${s.location}: the private key is encrypted: set ${key}.password (or ${key}.passwordPath)`);
  return { key: keys[0]!.pem, cert: certs.map((b) => b.pem).join(''), ...(s.password !== undefined ? { passphrase: s.password } : {}) };
}

/** A trust store: the CA certificates a peer's certificate must chain to. */
function trustStore(s: StoreConfig, key: string): string[] {
  const bytes = read(s, key);
  const at = `${s.where}: ${key}.location=${s.location}`;
  if (s.type === 'PEM') {
    const certs = blocks(bytes.toString('utf8')).filter((b) => b.label === 'CERTIFICATE');
    if (certs.length === 0) throw new TlsSetupError(`${at}: no certificate in this PEM file`);
    return certs.map((b) => b.pem);
  }
  let got;
  try {
    got = readPkcs12(bytes, s.password);
  } catch (e) {
    if (e instanceof Pkcs12Error) throw new TlsSetupError(`${at}: ${e.message}${/password/.test(e.message) && s.password === undefined ? ` (${key}.password is not set)` : ''}`);
    throw e;
  }
  // Java trusts only the certificates stored as trusted entries (keytool -importcert), not
  // those of key entries nor the attribute-less ones openssl writes: refuse rather than trust more.
  const trusted = got.certificates.filter((c) => c.trusted);
  if (trusted.length === 0) {
    const why = got.certificates.length === 0 ? 'it holds no certificate' : `none of its ${got.certificates.length} certificate(s) is a trusted-certificate entry, and ZooKeeper (Java) trusts only those — openssl pkcs12 -export writes certificates without that mark`;
    throw new TlsSetupError(`${at}: ${why}; make the trust store with keytool -importcert -storetype PKCS12 -file CA.pem -keystore ${s.location}, or give the CA certificates as a PEM file`);
  }
  return trusted.map((c) => certPem(c.der));
}

/** ssl.enabledProtocols (else ssl.protocol alone, as ZooKeeper) as Node's version range. */
function versions(c: TlsConfig, prefix: TlsPrefix, warn: (msg: string, key: string) => void): Pick<SecureContextOptions, 'minVersion' | 'maxVersion'> {
  const key = c.enabledProtocols ? `${prefix}enabledProtocols` : `${prefix}protocol`;
  const named = c.enabledProtocols ?? [c.protocol];
  const found: Version[] = [];
  for (const p of named) {
    if ((VERSIONS as readonly string[]).includes(p)) found.push(p as Version);
    else if (p === 'SSLv3' || p === 'SSLv2Hello') warn(`${key}: ${p} is not offered (Node's OpenSSL has no SSL 3), dropped`, key);
    else throw new TlsSetupError(`${key}=${named.join(',')}: ${p} is not a TLS protocol version (TLSv1, TLSv1.1, TLSv1.2, TLSv1.3)${key.endsWith('protocol') ? `; with ssl.protocol=${p}, set ${prefix}enabledProtocols to the versions to offer` : ''}`);
  }
  if (found.length === 0) throw new TlsSetupError(`${key}=${named.join(',')}: no TLS version left to offer`);
  const idx = found.map((v) => VERSIONS.indexOf(v)).sort();
  const lo = VERSIONS[idx[0]!]!;
  const hi = VERSIONS[idx[idx.length - 1]!]!;
  const between = VERSIONS.slice(idx[0]!, idx[idx.length - 1]! + 1).filter((v) => !found.includes(v));
  if (between.length) warn(`${key}: Node offers a range of versions, so ${between.join(', ')} ${between.length > 1 ? 'are' : 'is'} offered too`, key);
  return { minVersion: lo, maxVersion: hi };
}

/** ssl.ciphersuites (else ZooKeeper's default list) in OpenSSL's names; one without a clear counterpart is warned and dropped. */
function suites(c: TlsConfig, prefix: TlsPrefix, warn: (msg: string, key: string) => void): string {
  const key = `${prefix}ciphersuites`;
  const named = c.ciphersuites ?? DEFAULT_SUITES;
  const mapped: string[] = [];
  for (const s of named) {
    const o = opensslSuite(s);
    if (o) mapped.push(o);
    else if (c.ciphersuites) warn(`${key}: ${s} has no OpenSSL counterpart zabkit knows, dropped`, key);
  }
  if (mapped.length === 0) throw new TlsSetupError(`${key}=${named.join(',')}: none of these suites is known to Node's OpenSSL`);
  return mapped.join(':');
}

/**
 * The server's TLS, built at start before anything else runs, so that a bad setting stops it
 * with its key named: ssl.* for a secureClientPort (or client.portUnification), ssl.quorum.*
 * for sslQuorum in an ensemble. TLS is the node environment's only: the simulator has none.
 */
export function serverTls(c: ServerConfig, env: Pick<Env, 'tls'>, logger: Logger): { readonly client?: TlsEndpoint; readonly quorum?: TlsEndpoint } {
  const quorum = c.quorumTls && c.servers.length > 1 ? c.quorumTls : undefined;
  if ((c.secureClient || quorum) && !env.tls) throw new TlsSetupError(`${c.secureClient ? 'secureClientPort' : 'sslQuorum'}: TLS runs in the node environment only; the simulator has no TLS`);
  const warn = (msg: string, key: string) => logger.warn(msg, { key });
  return {
    ...(c.secureClient ? { client: tlsEndpoint(c.secureClient.tls, 'ssl.', 'server', warn) } : {}),
    ...(quorum ? { quorum: tlsEndpoint(quorum, 'ssl.quorum.', 'peer', warn) } : {}),
  };
}
