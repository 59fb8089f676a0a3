// ACL-3 for the x509 scheme: an id is valid when Java's X500Principal would parse it as a
// distinguished name (ZooKeeper's X509AuthenticationProvider.isValid). The rules below were
// taken from what Apache 3.8 accepted and refused as x509 ACL ids (test/tree/x500.test.ts lists
// them): RDNs split at unescaped, unquoted ',' or ';', AVAs at '+'; a keyword Java knows or an
// OID; a value quoted, '#' with hex that is exactly one DER element, or a string in which < > "
// must be escaped and an escape is a special character or two hex digits. Matching stays exact
// string equality (ACL-4), as ZooKeeper's: only the subject as X500Principal.getName() writes it
// matches a client's certificate.

const KEYWORDS = new Set(['CN', 'C', 'L', 'S', 'ST', 'O', 'OU', 'T', 'IP', 'STREET', 'DC', 'DNQUALIFIER', 'DNQ', 'SURNAME', 'GIVENNAME', 'INITIALS', 'GENERATION', 'EMAIL', 'EMAILADDRESS', 'UID', 'SERIALNUMBER']);
/** May follow a backslash. */
const ESCAPABLE = ',=+<>#;\\" \n';
/** Must not appear unescaped in an unquoted value. */
const UNESCAPED_BAD = '<>"';
const HEX = /^[0-9a-fA-F]$/;

/** Split at unescaped, unquoted separators (Java splits RDNs, then AVAs, this way). */
function split(s: string, seps: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && seps.includes(c)) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

function validOid(s: string): boolean {
  const parts = s.split('.');
  if (parts.length < 2 || parts.some((p) => !/^\d+$/.test(p))) return false;
  const [first, second] = parts.map(Number) as [number, number];
  return first <= 2 && (first === 2 || second < 40);
}

function validKeyword(k: string): boolean {
  const key = k.trim().toUpperCase();
  if (KEYWORDS.has(key)) return true;
  return validOid(key.startsWith('OID.') ? key.slice(4) : key);
}

/** '#' hex: exactly one DER element with a definite length. */
function validHex(h: string): boolean {
  if (h.length === 0 || h.length % 2 !== 0 || ![...h].every((c) => HEX.test(c))) return false;
  const bytes: number[] = [];
  for (let i = 0; i < h.length; i += 2) bytes.push(parseInt(h.slice(i, i + 2), 16));
  if (bytes.length < 2) return false;
  let len = bytes[1]!;
  let header = 2;
  if (len === 0x80) return false;
  if (len > 0x80) {
    const n = len & 0x7f;
    if (n > 4 || bytes.length < 2 + n) return false;
    len = bytes.slice(2, 2 + n).reduce((a, b) => a * 256 + b, 0);
    header += n;
  }
  return header + len === bytes.length;
}

/** The characters after a backslash at `i`: how many it takes, or 0 when the escape is bad. */
function escapeLength(v: string, i: number): number {
  const c = v[i + 1];
  if (c === undefined) return 0;
  if (HEX.test(c)) return HEX.test(v[i + 2] ?? '') ? 3 : ESCAPABLE.includes(c) ? 2 : 0;
  return ESCAPABLE.includes(c) ? 2 : 0;
}

function validValue(raw: string): boolean {
  const v = raw.replace(/^[ \t\n\r]+/, '');
  if (v.startsWith('#')) return validHex(v.slice(1).trim());
  if (v.startsWith('"')) {
    let i = 1;
    for (; i < v.length && v[i] !== '"'; i++) {
      if (v[i] === '\\') {
        if (i + 1 >= v.length) return false;
        i++;
      }
    }
    return i < v.length && v.slice(i + 1).trim() === '';
  }
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\') {
      const n = escapeLength(v, i);
      if (n === 0) return false;
      i += n - 1;
    } else if (UNESCAPED_BAD.includes(c)) return false;
  }
  return true;
}

function validAva(s: string): boolean {
  const eq = s.indexOf('=');
  if (eq < 0) return false;
  const keyword = s.slice(0, eq);
  if (keyword.trim() === '' || /\s/.test(keyword.trim())) return false;
  return validKeyword(keyword) && validValue(s.slice(eq + 1));
}

/** Whether `id` is a distinguished name X500Principal accepts (the empty name included). */
export function isDistinguishedName(id: string): boolean {
  if (id === '') return true;
  return split(id, ',;').every((rdn) => split(rdn, '+').every(validAva));
}
