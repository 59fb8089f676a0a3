// ACL-3 for x509 ids: valid exactly when Java's X500Principal parses them. Each case below was
// tried as an x509 ACL id on Apache ZooKeeper 3.8 over TLS (kazoo create with that ACL): true where
// it took the ACL, false where it answered InvalidACL.
import { describe, expect, it } from 'vitest';
import { Code, fixupAcl } from '../../src/tree/index.ts';
import { isDistinguishedName } from '../../src/tree/x500.ts';

const APACHE: Readonly<Record<string, boolean>> = {
  'CN=client,OU=test,O=zabkit': true,
  notadn: false,
  'CN=a,,O=b': false,
  'XX=a': false,
  'cn=client, ou=test , o=zabkit': true,
  'OID.2.5.4.3=x': true,
  'oid.2.5.4.3=x': true,
  '2.5.4.3=#0c0178': true,
  'CN="a,b"': true,
  'CN=a;O=b': true,
  'CN=a+O=b': true,
  'CN=#zz': false,
  'CN=a=b': true,
  'CN=a#b': true,
  'CN=a<b': false,
  'CN=a>b': false,
  'CN=a"b': false,
  'CN=': true,
  'CN= a ': true,
  'CN=a\\,b': true,
  'CN=a\\zz': false,
  'CN=a\\41': true,
  'CN=a\\4': false,
  '0.9=x': true,
  '1=x': false,
  'cn=a;ou=b': true,
  'CN=a + O=b': true,
  'CN="a\\"b"': true,
  'CN="a': false,
  'CN="a"b': false,
  'CN=#0c0178': true,
  'CN=#0C0178': true,
  'CN=#0c01': false,
  'CN=#0c017878': false,
  'CN=#': false,
  ' CN=a ': true,
  ',': false,
  'CN=a,': false,
  'CN=a;': false,
  'CN=a+': false,
  '=a': false,
  CN: false,
  'CN=a\nb': true,
  'EMAIL=x': true,
  'S=x': true,
  'T=x': true,
  'IP=1.2.3.4': true,
  'DNQ=x': true,
  'SERIALNUMBER=1': true,
  'GIVENNAME=x': true,
  'E=x': false,
  '2.5.4.3.=x': false,
  '2..5=x': false,
  '3.5=x': false,
  '0.40=x': false,
  '2.5.4.3 =x': true,
  'C N=x': false,
  'CN=é': true,
  'CN=a\\': false,
  'CN=a\\\\': true,
  'CN=""': true,
  'CN=a b': true,
};

describe('x509 ACL ids (ACL-3)', () => {
  it('are valid where Apache 3.8 took them and invalid where it answered InvalidACL', () => {
    const got = Object.fromEntries(Object.keys(APACHE).map((id) => [id, isDistinguishedName(id)]));
    expect(got).toEqual(APACHE);
  });

  it('are known only when the server has TLS for clients (X509AuthenticationProvider registered); auth expands to them', () => {
    const x509 = { scheme: 'x509', id: 'CN=client,OU=test,O=zabkit' };
    const ip = { scheme: 'ip', id: '127.0.0.1' };
    expect(fixupAcl([{ perms: 31, id: x509 }], [])).toBe(Code.InvalidACL);
    expect(fixupAcl([{ perms: 31, id: x509 }], [], { x509Acl: true })).toEqual([{ perms: 31, id: x509 }]);
    expect(fixupAcl([{ perms: 31, id: { scheme: 'x509', id: 'notadn' } }], [], { x509Acl: true })).toBe(Code.InvalidACL);
    // Apache: auth:: on a connection with a client certificate became x509:<its subject> (seen live).
    expect(fixupAcl([{ perms: 31, id: { scheme: 'auth', id: '' } }], [ip, x509], { x509Acl: true })).toEqual([{ perms: 31, id: x509 }]);
  });
});
