// ACLs: schemes, authentication, validation and permission checks (ACL-1..4).
// node:crypto's sha1 is a deterministic function, not a source of time or randomness.
import { createHash } from 'node:crypto';
import { Code, type ErrorCode, Perms } from './codes.ts';
import type { Acl, Id } from './types.ts';
import { isDistinguishedName } from './x500.ts';

export const ANYONE: Id = { scheme: 'world', id: 'anyone' };
export const OPEN_ACL: readonly Acl[] = [{ perms: Perms.ALL, id: ANYONE }];
export const READ_ACL: readonly Acl[] = [{ perms: Perms.READ, id: ANYONE }];

/**
 * The shared instance for the lists nearly every node has (world:anyone with all or read
 * permissions), else `acl` itself: a node then costs no ACL objects of its own, and a snapshot
 * finds the shared list by identity.
 */
export function canonicalAcl(acl: readonly Acl[]): readonly Acl[] {
  if (acl.length !== 1) return acl;
  const [a] = acl as [Acl];
  if (a.id.scheme !== 'world' || a.id.id !== 'anyone') return acl;
  return a.perms === Perms.ALL ? OPEN_ACL : a.perms === Perms.READ ? READ_ACL : acl;
}

/** ACL-1/ACL-2: the digest id of user:password. */
export function digestOf(userPassword: string): string {
  const colon = userPassword.indexOf(':');
  const user = colon < 0 ? userPassword : userPassword.slice(0, colon);
  return `${user}:${createHash('sha1').update(userPassword, 'utf8').digest('base64')}`;
}

/**
 * ACL-2: what an addauth adds to a connection's ids. superDigest is ZooKeeper's
 * zookeeper.DigestAuthenticationProvider.superDigest ("super:<hash>").
 */
export function authenticate(scheme: string, auth: string, superDigest?: string): readonly Id[] | ErrorCode {
  if (scheme !== 'digest') return Code.AuthFailed;
  const id = digestOf(auth);
  const digest: Id = { scheme: 'digest', id };
  return superDigest !== undefined && id === superDigest ? [{ scheme: 'super', id: '' }, digest] : [digest];
}

// ---- ip addresses (ACL-1, ACL-3, ACL-4) ----

function ipv4Bytes(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out.push(Number(p));
  }
  return out;
}

function ipv6Bytes(s: string): number[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (g.includes('.')) {
        const v4 = ipv4Bytes(g);
        if (!v4) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(parseInt(g, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail].flatMap((g) => [g >> 8, g & 0xff]);
}

const addressBytes = (s: string): number[] | undefined => (s.includes(':') ? ipv6Bytes(s) : ipv4Bytes(s));

/** An ip ACL id: address and prefix length, or undefined when malformed (ACL-3). */
function network(id: string): { bytes: number[]; bits: number } | undefined {
  const slash = id.indexOf('/');
  const bytes = addressBytes(slash < 0 ? id : id.slice(0, slash));
  if (!bytes) return undefined;
  if (slash < 0) return { bytes, bits: bytes.length * 8 };
  const bitsText = id.slice(slash + 1);
  const bits = Number(bitsText);
  if (!/^\d+$/.test(bitsText) || bits > bytes.length * 8) return undefined;
  return { bytes, bits };
}

function ipMatches(address: string, aclId: string): boolean {
  const net = network(aclId);
  const addr = addressBytes(address);
  if (!net || !addr || addr.length !== net.bytes.length) return false;
  for (let bit = 0; bit < net.bits; bit++) {
    const mask = 0x80 >> bit % 8;
    if (((addr[bit >> 3] ?? 0) & mask) !== ((net.bytes[bit >> 3] ?? 0) & mask)) return false;
  }
  return true;
}

/** The schemes a server knows beyond digest, ip and world: ZooKeeper registers these providers only when configured. */
export interface AclSchemes {
  /** SASLAuthenticationProvider (authProvider.N, or a JAAS file). */
  readonly saslAcl?: boolean;
  /** X509AuthenticationProvider (a secureClientPort registers it, as does authProvider.x509). */
  readonly x509Acl?: boolean;
}

/** ACL-3: whether an id of a concrete scheme is well formed. */
function validId(id: Id, schemes: AclSchemes): boolean {
  switch (id.scheme) {
    case 'sasl':
      return schemes.saslAcl === true && id.id !== '';
    case 'x509':
      return schemes.x509Acl === true && isDistinguishedName(id.id);
    case 'world':
      return id.id === 'anyone';
    case 'digest': {
      // ZooKeeper wants exactly two parts from Java's split, which drops trailing empty ones.
      const parts = id.id.split(':');
      while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
      return parts.length === 2;
    }
    case 'ip':
      return network(id.id) !== undefined;
    default:
      return false;
  }
}

/** Authenticated ids count for `auth`; ip ids do not (ACL-3). */
const authenticated = (id: Id): boolean => id.scheme === 'digest' || id.scheme === 'sasl' || id.scheme === 'x509';

/** ACL-3: check and expand an ACL being set; InvalidACL when it cannot be (`true`: the sasl scheme is known). */
export function fixupAcl(acl: readonly Acl[], auth: readonly Id[], schemes: AclSchemes | boolean = {}): readonly Acl[] | ErrorCode {
  const known = typeof schemes === 'boolean' ? { saslAcl: schemes } : schemes;
  const unique: Acl[] = [];
  for (const a of acl) {
    if (!unique.some((u) => u.perms === a.perms && u.id.scheme === a.id.scheme && u.id.id === a.id.id)) unique.push(a);
  }
  if (unique.length === 0) return Code.InvalidACL;
  const out: Acl[] = [];
  for (const a of unique) {
    if (a.id.scheme === 'auth') {
      const ids = auth.filter(authenticated);
      if (ids.length === 0) return Code.InvalidACL;
      for (const id of ids) out.push({ perms: a.perms, id });
    } else if (validId(a.id, known)) out.push(a);
    else return Code.InvalidACL;
  }
  // Most nodes carry the open ACL: share one array rather than hold a copy per node.
  const open = OPEN_ACL[0] as Acl;
  return out.length === 1 && out[0]?.perms === open.perms && out[0].id.scheme === 'world' && out[0].id.id === 'anyone' ? OPEN_ACL : out;
}

/** ACL-4: may a caller holding `auth` do any of `perm` on a node with `acl`? */
export function allowed(acl: readonly Acl[], perm: number, auth: readonly Id[]): boolean {
  if (acl.length === 0) return true;
  if (auth.some((id) => id.scheme === 'super')) return true;
  for (const a of acl) {
    if ((a.perms & perm) === 0) continue;
    if (a.id.scheme === 'world' && a.id.id === 'anyone') return true;
    for (const id of auth) {
      if (id.scheme !== a.id.scheme) continue;
      if (id.scheme === 'ip' ? ipMatches(id.id, a.id.id) : id.id === a.id.id) return true;
    }
  }
  return false;
}

/** TREE-22: getACL without ADMIN hides digest hashes. */
export function maskDigests(acl: readonly Acl[]): readonly Acl[] {
  return acl.map((a) => (a.id.scheme === 'digest' ? { perms: a.perms, id: { scheme: 'digest', id: a.id.id.replace(/:.*/, ':x') } } : a));
}
