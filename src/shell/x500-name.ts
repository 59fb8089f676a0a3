// A certificate's subject as ZooKeeper's x509 scheme names a client: Java's
// X500Principal.getName(), RFC 2253 as the JDK writes it. Checked against Apache 3.8 over TLS
// (zkCli whoami; test/shell/x500-name.test.ts holds what it printed): the last RDN first, AVAs of
// a multi-valued RDN in their encoded order joined by '+'; keywords only for CN C L ST O OU
// STREET DC UID, any other attribute (emailAddress, serialNumber, title) as its dotted OID with
// '#' and the lowercase hex of its DER; in values, , = + < > # ; " \ get a backslash, NUL is \00,
// leading and trailing spaces are escaped, other characters (UTF-8 included) are written as is.
import { children, oidOf, readOne, seq, Tag, type Tlv } from './der.ts';

const KEYWORDS: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

const ESCAPED = ',=+<>#;"\\';

/** The subject of a DER certificate, as X500Principal.getName() writes it. */
export function subjectName(certificate: Buffer): string {
  const [tbs] = seq(readOne(certificate), 'Certificate');
  const fields = seq(tbs, 'TBSCertificate');
  // [0] version is optional; then serial, signature, issuer, validity, subject.
  const at = fields[0]?.tag === Tag.CONTEXT_0 ? 1 : 0;
  return rfc2253(fields[at + 4]);
}

export function rfc2253(name: Tlv | undefined): string {
  return seq(name, 'Name')
    .map((rdn) => children(rdn).map(ava).join('+'))
    .reverse()
    .join(',');
}

function ava(t: Tlv): string {
  const [type, value] = seq(t, 'AttributeTypeAndValue');
  const oid = oidOf(type);
  const keyword = KEYWORDS[oid];
  const text = value && keyword ? stringOf(value) : undefined;
  if (text === undefined) return `${keyword ?? oid}=#${value?.raw.toString('hex') ?? ''}`;
  let s = '';
  for (const ch of text) s += ch === '\0' ? '\\00' : ESCAPED.includes(ch) ? `\\${ch}` : ch;
  // Java escapes the leading and trailing run of spaces (and CRs) character by character.
  const lead = /^[ \r]*/.exec(s)![0].length;
  const trail = lead === s.length ? 0 : /[ \r]*$/.exec(s)![0].length;
  const esc = (part: string) => part.replace(/[ \r]/g, '\\$&');
  return `${keyword}=${esc(s.slice(0, lead))}${s.slice(lead, s.length - trail)}${esc(s.slice(s.length - trail))}`;
}

/** A directory string's text, for the string types Java writes as text; undefined: written in hex. */
function stringOf(v: Tlv): string | undefined {
  switch (v.tag) {
    case Tag.UTF8_STRING:
      return v.value.toString('utf8');
    case Tag.PRINTABLE_STRING:
    case Tag.IA5_STRING:
    case Tag.T61_STRING:
    case Tag.GENERAL_STRING:
      return v.value.toString('latin1');
    case Tag.BMP_STRING:
      return Buffer.from(v.value).swap16().toString('utf16le');
    default:
      return undefined;
  }
}
