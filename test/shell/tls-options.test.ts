// TLS settings made into node:tls options, and every refusal naming its key: store types and
// files, passwords, Java's trust-store rule, protocol versions and cipher suite names; the
// settings that decide which client ports open; TLS refused in a simulated environment.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadServerConfig, type ServerConfig } from '../../src/shell/config.ts';
import { nodeEnv } from '../../src/shell/env.ts';
import { createLogger } from '../../src/shell/logger.ts';
import { opensslSuite, serverTls } from '../../src/shell/tls-options.ts';
import { peerMissing } from './harness.ts';
import { KEY_PASSWORD, KEYTOOL, makeCerts, STORE_PASSWORD } from './tls-certs.ts';

describe('TLS settings', () => {
  const certs = makeCerts();
  afterAll(() => certs.remove());
  let n = 0;
  /** The settings of a zoo.cfg holding `lines` (and a dataDir). */
  const config = (lines: readonly string[], flags: readonly string[] = []): ServerConfig => {
    const file = join(certs.dir, `zoo-${++n}.cfg`);
    writeFileSync(file, [`dataDir=${join(certs.dir, 'data')}`, ...lines].join('\n'));
    return loadServerConfig(['--config', file, ...flags], {}).config;
  };
  /** serverTls on those settings: the warnings logged, or the refusal. */
  const tls = (lines: readonly string[]) => {
    const warnings: string[] = [];
    const logger = createLogger('warn', {}, (l) => warnings.push((JSON.parse(l) as { msg: string }).msg));
    return { endpoints: serverTls(config(lines), nodeEnv, logger), warnings };
  };
  const secure = (...more: string[]) => ['secureClientPort=0', `ssl.keyStore.location=${certs.server.pem}`, `ssl.trustStore.location=${certs.ca}`, ...more];

  it('PEM key and trust stores; PKCS12 key store with its password; an encrypted PEM key with its password', () => {
    expect(tls(secure()).endpoints.client?.clientAuth).toBe('need');
    expect(tls(['secureClientPort=0', `ssl.keyStore.location=${certs.server.p12}`, `ssl.keyStore.password=${STORE_PASSWORD}`, `ssl.trustStore.location=${certs.ca}`]).endpoints.client).toBeDefined();
    expect(tls(['secureClientPort=0', `ssl.keyStore.location=${certs.serverEncryptedPem}`, `ssl.keyStore.password=${KEY_PASSWORD}`, 'ssl.clientAuth=want']).endpoints.client?.clientAuth).toBe('want');
  });

  it('refuses, naming the key: JKS and BCFKS (with the keytool conversion), a missing file, a key without its password or with a wrong one, no key store', () => {
    const jks = join(certs.dir, 'keystore.jks');
    expect(() => tls(['secureClientPort=0', `ssl.keyStore.location=${jks}`])).toThrow(
      new RegExp(`zoo-\\d+\\.cfg:3: ssl\\.keyStore\\.location=${jks}: a JKS store, which zabkit does not read; convert it to PKCS12 with keytool -importkeystore -srckeystore ${jks} -destkeystore ${join(certs.dir, 'keystore.p12')} -deststoretype PKCS12`),
    );
    expect(() => tls([...secure(), 'ssl.trustStore.type=BCFKS'])).toThrow(/ssl\.trustStore\.location=.*: a BCFKS store, .*-srcstoretype BCFKS/);
    expect(() => tls(['secureClientPort=0', 'ssl.keyStore.location=/nonexistent/k.pem'])).toThrow(/ssl\.keyStore\.location=\/nonexistent\/k\.pem: cannot read it: ENOENT/);
    expect(() => tls(['secureClientPort=0', `ssl.keyStore.location=${certs.serverEncryptedPem}`])).toThrow(/the private key is encrypted: set ssl\.keyStore\.password/);
    expect(() => tls(['secureClientPort=0', `ssl.keyStore.location=${certs.serverEncryptedPem}`, 'ssl.keyStore.password=wrong'])).toThrow(/ssl\.keyStore\.location=.*wrong ssl\.keyStore\.password\?/);
    expect(() => tls(['secureClientPort=0', `ssl.keyStore.location=${certs.server.p12}`, 'ssl.keyStore.password=wrong'])).toThrow(/ssl\.keyStore\.location=.*\.p12: .*wrong ssl\.keyStore\.password\?/);
    expect(() => tls(['secureClientPort=0'])).toThrow(/ssl\.keyStore\.location is not set/);
    expect(() => tls([...secure(), `ssl.trustStore.location=${certs.server.key}`])).toThrow(/ssl\.trustStore\.location=.*: no certificate in this PEM file/);
  });

  it('a PKCS12 trust store from openssl is refused: Java trusts only keytool\'s trusted entries', () => {
    expect(() => tls([...secure(), `ssl.trustStore.location=${certs.opensslTrustP12}`, `ssl.trustStore.password=${STORE_PASSWORD}`])).toThrow(
      /ssl\.trustStore\.location=.*openssl-trust\.p12: none of its 1 certificate\(s\) is a trusted-certificate entry.*keytool -importcert/,
    );
    expect(() => tls([...secure(), `ssl.trustStore.location=${certs.opensslTrustP12}`, 'ssl.trustStore.password=wrong'])).toThrow(/ssl\.trustStore\.location=.*: wrong password/);
  });

  it.skipIf(peerMissing('keytool (Java)', KEYTOOL))('a PKCS12 trust store from keytool is taken', () => {
    expect(tls([...secure(), `ssl.trustStore.location=${certs.trustP12}`, `ssl.trustStore.password=${STORE_PASSWORD}`]).endpoints.client).toBeDefined();
    expect(() => tls([...secure(), `ssl.trustStore.location=${certs.trustP12}`])).toThrow(/give the store's password \(ssl\.trustStore\.password is not set\)/);
  });

  it('protocols: ssl.protocol alone (TLSv1.2, as ZooKeeper 3.8), or the range of ssl.enabledProtocols; a name that is no version refused', () => {
    expect(tls(secure()).endpoints.client?.options).toMatchObject({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    expect(tls(secure('ssl.enabledProtocols=TLSv1.3,TLSv1.2')).endpoints.client?.options).toMatchObject({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    const gap = tls(secure('ssl.enabledProtocols=SSLv3,TLSv1.1,TLSv1.3'));
    expect(gap.warnings).toEqual(['ssl.enabledProtocols: SSLv3 is not offered (Node\'s OpenSSL has no SSL 3), dropped', 'ssl.enabledProtocols: Node offers a range of versions, so TLSv1.2 is offered too']);
    expect(() => tls(secure('ssl.protocol=TLS'))).toThrow(/ssl\.protocol=TLS: TLS is not a TLS protocol version .*set ssl\.enabledProtocols/);
  });

  it('cipher suites: Java names mapped to OpenSSL\'s; one without a counterpart warned by name; none left refused', () => {
    expect(opensslSuite('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256')).toBe('ECDHE-RSA-AES128-GCM-SHA256');
    expect(opensslSuite('TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384')).toBe('ECDHE-ECDSA-AES256-SHA384');
    expect(opensslSuite('TLS_RSA_WITH_AES_128_CBC_SHA')).toBe('AES128-SHA');
    expect(opensslSuite('TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256')).toBe('ECDHE-RSA-CHACHA20-POLY1305');
    expect(opensslSuite('TLS_AES_256_GCM_SHA384')).toBe('TLS_AES_256_GCM_SHA384');
    // ZooKeeper 3.8's default list, when ssl.ciphersuites is not set.
    expect(tls(secure()).endpoints.client?.options.ciphers).toBe(
      'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA',
    );
    const some = tls(secure('ssl.ciphersuites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_KRB5_WITH_RC4_128_SHA'));
    expect(some.endpoints.client?.options.ciphers).toBe('ECDHE-ECDSA-AES128-GCM-SHA256');
    expect(some.warnings).toEqual(['ssl.ciphersuites: TLS_KRB5_WITH_RC4_128_SHA has no OpenSSL counterpart zabkit knows, dropped']);
    expect(() => tls(secure('ssl.ciphersuites=TLS_KRB5_WITH_RC4_128_SHA'))).toThrow(/ssl\.ciphersuites=TLS_KRB5_WITH_RC4_128_SHA: none of these suites/);
  });

  it('which client ports open: secureClientPort alone opens no plain port (as Apache); client.portUnification alone puts TLS on the plain one', () => {
    expect(config(['secureClientPort=2281']).secureClient).toMatchObject({ port: 2281, plainPort: false, portUnification: false });
    expect(config(['clientPort=2181', 'secureClientPort=2281']).secureClient).toMatchObject({ port: 2281, plainPort: true });
    const unified = config(['clientPort=2181', 'client.portUnification=true']).secureClient;
    expect([unified?.port, unified?.plainPort, unified?.portUnification]).toEqual([undefined, true, true]);
    expect([config(['secureClientPort=2281']).x509Acl, config([]).x509Acl, config(['authProvider.1=org.apache.zookeeper.server.auth.X509AuthenticationProvider']).x509Acl]).toEqual([true, false, true]);
  });

  it('sslQuorum takes the ssl.quorum.* stores, in an ensemble only; TLS is refused in an environment without it (the simulator\'s)', () => {
    const quorum = ['sslQuorum=true', `ssl.quorum.keyStore.location=${certs.server.pem}`, `ssl.quorum.trustStore.location=${certs.ca}`];
    const c = config(['server.1=127.0.0.1:1:2', 'server.2=127.0.0.1:3:4', ...quorum], ['--myid', '1']);
    expect(serverTls(config(quorum), nodeEnv, createLogger('error', {}, () => {}))).toEqual({}); // standalone: no peers to speak TLS to
    const endpoints = serverTls(c, nodeEnv, createLogger('error', {}, () => {}));
    expect([endpoints.client, endpoints.quorum?.clientAuth, endpoints.quorum?.verifyPeerAddress]).toEqual([undefined, 'need', true]);
    expect(() => serverTls(c, { ...nodeEnv, tls: undefined }, createLogger('error', {}, () => {}))).toThrow('sslQuorum: TLS runs in the node environment only; the simulator has no TLS');
    expect(() => serverTls(config(secure()), {}, createLogger('error', {}, () => {}))).toThrow(/^secureClientPort: TLS runs in the node environment only/);
  });
});
