// pkcs12.ts against stores made by openssl pkcs12 -export (its default PBES2/AES-256 and the
// legacy 3DES PBE) and by Java 17's keytool (the trust store ZooKeeper users make): the MAC
// checked, the certificates decrypted byte for byte, Java's trusted-entry mark read.
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPkcs12 } from '../../src/shell/pkcs12.ts';
import { peerMissing } from './harness.ts';
import { KEYTOOL, makeCerts, STORE_PASSWORD } from './tls-certs.ts';

const der = (pemFile: string) => new X509Certificate(readFileSync(pemFile)).raw;

describe('PKCS#12 stores', () => {
  const certs = makeCerts();
  afterAll(() => certs.remove());
  const openssl = (...args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' });

  it('openssl pkcs12 -export (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC, MAC SHA-256): the key counted, the certificate and its CA read', () => {
    const p = readPkcs12(readFileSync(certs.server.p12), STORE_PASSWORD);
    expect(p.macChecked).toBe(true);
    expect(p.keys).toBe(1);
    expect(p.certificates.map((c) => c.der)).toEqual([der(certs.server.cert), der(certs.ca)]);
    expect(p.certificates.every((c) => !c.trusted)).toBe(true);
  });

  it('a certificate-only store from openssl: the CA, without Java\'s trusted mark', () => {
    const p = readPkcs12(readFileSync(certs.opensslTrustP12), STORE_PASSWORD);
    expect(p).toEqual({ certificates: [{ der: der(certs.ca), trusted: false }], keys: 0, macChecked: true });
  });

  it('the legacy PKCS#12 PBE with 3DES and a SHA-1 MAC', () => {
    const out = join(certs.dir, 'des.p12');
    const r = openssl('pkcs12', '-export', '-in', certs.client.cert, '-inkey', certs.client.key, '-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1', '-out', out, '-passout', 'pass:pw');
    expect(r.status, r.stderr).toBe(0);
    const p = readPkcs12(readFileSync(out), 'pw');
    expect([p.macChecked, p.keys, p.certificates.map((c) => c.der)]).toEqual([true, 1, [der(certs.client.cert)]]);
  });

  it('RC2 (openssl -legacy) is refused with a way out', () => {
    const out = join(certs.dir, 'rc2.p12');
    const r = openssl('pkcs12', '-export', '-legacy', '-in', certs.client.cert, '-inkey', certs.client.key, '-out', out, '-passout', 'pass:pw');
    if (r.status !== 0) return void expect(r.stderr).toMatch(/legacy|provider|unsupported/i); // an OpenSSL without its legacy provider cannot make one
    expect(() => readPkcs12(readFileSync(out), 'pw')).toThrow(/RC2.*without -legacy/);
  });

  it('a wrong password fails the MAC; none cannot open encrypted certificates; not a store at all is said so', () => {
    expect(() => readPkcs12(readFileSync(certs.server.p12), 'nope')).toThrow(/wrong password/);
    expect(() => readPkcs12(readFileSync(certs.server.p12), undefined)).toThrow(/give the store's password/);
    expect(() => readPkcs12(readFileSync(certs.ca), STORE_PASSWORD)).toThrow(/not a PKCS#12 store/);
  });

  describe.skipIf(peerMissing('keytool (Java)', KEYTOOL))('made by keytool (Java 17)', () => {
    it('keytool -importcert: the CA as a trusted entry with its alias', () => {
      const p = readPkcs12(readFileSync(certs.trustP12!), STORE_PASSWORD);
      expect(p).toEqual({ certificates: [{ der: der(certs.ca), trusted: true, friendlyName: 'ca' }], keys: 0, macChecked: true });
    });

    it('keytool -importkeystore of an openssl store: the key entry and its chain, not trusted entries', () => {
      const out = join(certs.dir, 'keytool-key.p12');
      const r = spawnSync(KEYTOOL!, ['-J-XX:TieredStopAtLevel=1', '-importkeystore', '-srckeystore', certs.server.p12, '-srcstoretype', 'PKCS12', '-srcstorepass', STORE_PASSWORD, '-destkeystore', out, '-deststoretype', 'PKCS12', '-deststorepass', 'changeit'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const p = readPkcs12(readFileSync(out), 'changeit');
      expect(p.keys).toBe(1);
      expect(p.certificates.map((c) => [c.der, c.trusted])).toEqual([[der(certs.server.cert), false], [der(certs.ca), false]]);
    });
  });
});
