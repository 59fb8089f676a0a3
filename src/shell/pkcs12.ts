// PKCS#12 (RFC 7292) stores read with node:crypto: the certificates of a trust store. node:tls
// loads a PKCS#12 *key* store itself (pfx + passphrase), but a trust store as Java's keytool
// writes it holds certificates only, which OpenSSL's loader refuses; so it is read here: the
// MAC checked (the password is right and the file whole), each SafeContents decrypted, the
// certificate bags collected with the attribute Java marks trusted ones with.
//
// Ciphers: PBES2 (PBKDF2 with HMAC-SHA1/224/256/384/512; AES-128/192/256-CBC or 3DES-CBC) — what
// keytool (Java 17) and openssl 3 write by default — and the legacy PKCS#12 PBE with 3DES.
// RC2 (openssl's -legacy, keytool before Java 8u301/11.0.12) is refused with a way out: Node's
// OpenSSL has no RC2 without its legacy provider.
import { createDecipheriv, createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { children, DerError, intOf, octets, oidOf, readOne, seq, Tag, type Tlv } from './der.ts';

export interface StoredCertificate {
  readonly der: Buffer;
  /** Java's trusted-certificate entry (keytool -importcert): the only certificates Java trusts in a PKCS#12 trust store. */
  readonly trusted: boolean;
  readonly friendlyName?: string;
}

export interface Pkcs12Contents {
  readonly certificates: readonly StoredCertificate[];
  /** Private keys (left encrypted: node:tls decrypts a key store itself). */
  readonly keys: number;
  /** The store had a MAC, and it matched. */
  readonly macChecked: boolean;
}

export class Pkcs12Error extends Error {}

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  /** Oracle's trusted key usage: set on the certificates keytool -importcert stores. */
  javaTrusted: '2.16.840.1.113894.746875.1.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeSha3Des: '1.2.840.113549.1.12.1.3',
  pbeSha2Des: '1.2.840.113549.1.12.1.4',
  pbeShaRc2_128: '1.2.840.113549.1.12.1.5',
  pbeShaRc2_40: '1.2.840.113549.1.12.1.6',
} as const;

/** Digests by OID: as a MAC's digest (DigestInfo) and as PBKDF2's PRF (hmacWith…). */
const DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
/** Each digest's block size in bytes (v in RFC 7292 B.2). */
const BLOCK: Record<string, number> = { sha1: 64, sha224: 64, sha256: 64, sha384: 128, sha512: 128 };

const CIPHERS: Record<string, { readonly name: string; readonly key: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', key: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', key: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', key: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', key: 24 },
};

/** Read a PKCS#12 store. `password` undefined: no MAC check, and encrypted contents cannot be read. */
export function readPkcs12(file: Buffer, password: string | undefined): Pkcs12Contents {
  try {
    return read(file, password);
  } catch (e) {
    if (e instanceof DerError) throw new Pkcs12Error(`not a PKCS#12 store (${e.message})`);
    throw e;
  }
}

function read(file: Buffer, password: string | undefined): Pkcs12Contents {
  const [version, authSafe, macData] = seq(readOne(file), 'PFX');
  if (intOf(version, 'PFX version') !== 3) throw new Pkcs12Error('not a PKCS#12 v3 store');
  const [type, content] = seq(authSafe, 'authSafe');
  if (oidOf(type) !== OID.data) throw new Pkcs12Error('public-key integrity mode is not supported (the store is not password-protected)');
  const safe = octetContent(content);
  let macChecked = false;
  if (macData && password !== undefined) {
    checkMac(macData, safe, password);
    macChecked = true;
  }
  const certificates: StoredCertificate[] = [];
  let keys = 0;
  const bags = (safeContents: Buffer) => {
    for (const bag of seq(readOne(safeContents), 'SafeContents')) {
      const [id, value, attributes] = seq(bag, 'SafeBag');
      const bagId = oidOf(id);
      const inner = children(explicit0(value))[0];
      if (bagId === OID.certBag) {
        const [certType, certValue] = seq(inner, 'CertBag');
        if (oidOf(certType) !== OID.x509Certificate) continue; // SDSI certificates: never in a TLS store
        const attrs = bagAttributes(attributes);
        certificates.push({ der: Buffer.from(octets(children(explicit0(certValue))[0], 'certificate')), trusted: attrs.trusted, ...(attrs.friendlyName !== undefined ? { friendlyName: attrs.friendlyName } : {}) });
      } else if (bagId === OID.keyBag || bagId === OID.shroudedKeyBag) keys++;
      else if (bagId === OID.safeContentsBag && inner) bags(inner.raw);
    }
  };
  for (const info of seq(readOne(safe), 'AuthenticatedSafe')) {
    const [infoType, infoContent] = seq(info, 'ContentInfo');
    const t = oidOf(infoType);
    if (t === OID.data) bags(octetContent(infoContent));
    else if (t === OID.encryptedData) {
      if (password === undefined) throw new Pkcs12Error('its certificates are encrypted: give the store\'s password');
      bags(decryptData(infoContent, password));
    } else throw new Pkcs12Error(`content of type ${t} (enveloped with a public key) is not supported`);
  }
  return { certificates, keys, macChecked };
}

const explicit0 = (t: Tlv | undefined): Tlv => {
  if (!t || t.tag !== Tag.CONTEXT_0) throw new DerError('expected [0]');
  return t;
};

/** A ContentInfo's data: [0] EXPLICIT OCTET STRING. */
const octetContent = (t: Tlv | undefined): Buffer => octets(children(explicit0(t))[0], 'ContentInfo data');

function bagAttributes(set: Tlv | undefined): { trusted: boolean; friendlyName?: string } {
  let trusted = false;
  let friendlyName: string | undefined;
  if (set?.tag !== Tag.SET) return { trusted };
  for (const attr of children(set)) {
    const [id, values] = seq(attr, 'attribute');
    const oid = oidOf(id);
    if (oid === OID.javaTrusted) trusted = true;
    if (oid === OID.friendlyName) {
      const v = values ? children(values)[0] : undefined;
      if (v?.tag === Tag.BMP_STRING) friendlyName = Buffer.from(v.value).swap16().toString('utf16le');
    }
  }
  return { trusted, ...(friendlyName !== undefined ? { friendlyName } : {}) };
}

/** RFC 7292 B.2: the PKCS#12 key derivation (MAC keys, and the legacy ciphers' keys and IVs). */
export function pkcs12Kdf(password: Buffer, salt: Buffer, id: 1 | 2 | 3, iterations: number, n: number, digest: string): Buffer {
  const v = BLOCK[digest];
  if (v === undefined) throw new Pkcs12Error(`digest ${digest} is not supported`);
  const fill = (b: Buffer) => (b.length === 0 ? Buffer.alloc(0) : Buffer.alloc(v * Math.ceil(b.length / v), b));
  const I = Buffer.concat([fill(salt), fill(password)]);
  const D = Buffer.alloc(v, id);
  const out: Buffer[] = [];
  for (let got = 0; got < n; ) {
    let A = createHash(digest).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash(digest).update(A).digest();
    out.push(A);
    got += A.length;
    const B = Buffer.alloc(v, A);
    // I_j = (I_j + B + 1) mod 2^(8v), for every v-byte block of I
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, n);
}

/** The password as PKCS#12 wants it for its own KDF: BMPString (UTF-16BE) with a two-byte terminator. */
function bmpPassword(password: string): Buffer {
  return Buffer.concat([Buffer.from(password, 'utf16le').swap16(), Buffer.alloc(2)]);
}

function checkMac(macData: Tlv, safe: Buffer, password: string): void {
  const [digestInfo, saltT, iterT] = seq(macData, 'MacData');
  const [alg, expected] = seq(digestInfo, 'DigestInfo');
  const algOid = oidOf(seq(alg, 'MAC algorithm')[0]);
  const digest = DIGESTS[algOid];
  if (!digest) throw new Pkcs12Error(`MAC digest ${algOid} is not supported`);
  const want = octets(expected, 'MAC');
  const salt = octets(saltT, 'MAC salt');
  const iterations = iterT ? intOf(iterT, 'MAC iterations') : 1;
  // An empty password: openssl derives from the two-byte terminator alone, Java from nothing.
  const candidates = password === '' ? [bmpPassword(''), Buffer.alloc(0)] : [bmpPassword(password)];
  for (const p of candidates) {
    const key = pkcs12Kdf(p, salt, 3, iterations, createHash(digest).digest().length, digest);
    const mac = createHmac(digest, key).update(safe).digest();
    if (mac.length === want.length && timingSafeEqual(mac, want)) return;
  }
  throw new Pkcs12Error('wrong password, or the store is damaged (its MAC does not match)');
}

/** EncryptedData → the SafeContents it holds. */
function decryptData(content: Tlv | undefined, password: string): Buffer {
  const [, encryptedContentInfo] = seq(children(explicit0(content))[0], 'EncryptedData');
  const [, algorithm, encrypted] = seq(encryptedContentInfo, 'EncryptedContentInfo');
  if (!encrypted || encrypted.tag !== Tag.CONTEXT_0_PRIMITIVE) throw new Pkcs12Error('encrypted content missing');
  return decrypt(algorithm, encrypted.value, password);
}

function decrypt(algorithm: Tlv | undefined, data: Buffer, password: string): Buffer {
  const [algT, params] = seq(algorithm, 'encryption algorithm');
  const alg = oidOf(algT);
  let cipher: string;
  let key: Buffer;
  let iv: Buffer;
  if (alg === OID.pbes2) {
    const [kdf, scheme] = seq(params, 'PBES2 parameters');
    const [kdfOid, kdfParams] = seq(kdf, 'PBES2 key derivation');
    if (oidOf(kdfOid) !== OID.pbkdf2) throw new Pkcs12Error(`key derivation ${oidOf(kdfOid)} is not supported (PBKDF2 is)`);
    const [saltT, iterT, ...rest] = seq(kdfParams, 'PBKDF2 parameters');
    const prfT = rest.find((t) => t.tag === Tag.SEQUENCE);
    const prfOid = prfT ? oidOf(seq(prfT, 'PBKDF2 PRF')[0]) : '1.2.840.113549.2.7'; // hmacWithSHA1, the default
    const prf = DIGESTS[prfOid];
    if (!prf) throw new Pkcs12Error(`PBKDF2 with PRF ${prfOid} is not supported`);
    const [schemeOid, ivT] = seq(scheme, 'PBES2 encryption scheme');
    const c = CIPHERS[oidOf(schemeOid)];
    if (!c) throw new Pkcs12Error(`cipher ${oidOf(schemeOid)} is not supported (AES-CBC and 3DES-CBC are)`);
    cipher = c.name;
    // RFC 8018 leaves the password's encoding open; openssl and Java both hash its UTF-8 bytes.
    key = pbkdf2Sync(Buffer.from(password, 'utf8'), octets(saltT, 'PBKDF2 salt'), intOf(iterT, 'PBKDF2 iterations'), c.key, prf);
    iv = octets(ivT, 'IV');
  } else if (alg === OID.pbeSha3Des || alg === OID.pbeSha2Des) {
    const [saltT, iterT] = seq(params, 'PBE parameters');
    const salt = octets(saltT, 'PBE salt');
    const iterations = intOf(iterT, 'PBE iterations');
    const pw = bmpPassword(password);
    const three = alg === OID.pbeSha3Des;
    cipher = three ? 'des-ede3-cbc' : 'des-ede-cbc';
    key = pkcs12Kdf(pw, salt, 1, iterations, three ? 24 : 16, 'sha1');
    iv = pkcs12Kdf(pw, salt, 2, iterations, 8, 'sha1');
  } else if (alg === OID.pbeShaRc2_40 || alg === OID.pbeShaRc2_128) {
    throw new Pkcs12Error('it is encrypted with RC2 (openssl pkcs12 -legacy, or an old keytool), which zabkit cannot read; write it again with keytool (Java 11.0.12 or later) or openssl pkcs12 -export without -legacy');
  } else throw new Pkcs12Error(`encryption ${alg} is not supported`);
  try {
    const d = createDecipheriv(cipher, key, iv);
    return Buffer.concat([d.update(data), d.final()]);
  } catch {
    throw new Pkcs12Error('cannot decrypt its contents: wrong password?');
  }
}
