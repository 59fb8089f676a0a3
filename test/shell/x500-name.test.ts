// x509 ids: a certificate's subject written as Java's X500Principal.getName() writes it, checked
// against what Apache ZooKeeper 3.8 printed for the same subjects (zkCli whoami over TLS).
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { subjectName } from '../../src/shell/x500-name.ts';
import { CLIENT_ID, makeCerts, TRICKY2_ID, TRICKY_ID } from './tls-certs.ts';

describe('x509 ids (RFC 2253 as Java writes it)', () => {
  const certs = makeCerts({ keytool: false });
  afterAll(() => certs.remove());
  const subject = (file: string) => subjectName(new X509Certificate(readFileSync(file)).raw);

  it('a plain subject: the last RDN first, no spaces', () => {
    expect(subject(certs.client.cert)).toBe(CLIENT_ID);
  });

  it('escapes , + " ; # and leading/trailing spaces; a multi-valued RDN in encoded order; emailAddress as OID=#DER (as Apache printed it)', () => {
    expect(subject(certs.tricky.cert)).toBe(TRICKY_ID);
  });

  it('escapes = < > \\, keeps UTF-8, writes serialNumber and title as OID=#DER and street as STREET (as Apache printed it)', () => {
    expect(subject(certs.tricky2.cert)).toBe(TRICKY2_ID);
  });
});
