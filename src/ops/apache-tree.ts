// Apache ZooKeeper's snapshot as zabkit's tree, and back (txns: apache-txn-convert.ts). What differs:
// - the node's kind: Apache packs it into the persisted ephemeralOwner (EphemeralType): 0
//   persistent, Long.MIN_VALUE a container, high byte 0xff with the reserved bits 0 a TTL node (the
//   TTL in the low 40 bits), anything else the owning session;
// - the persisted cversion is the count of child creates, which is zabkit's childCreates;
// - ACLs are shared through a table of numbered lists (−1: world:anyone ALL);
// - zxids and times are Java longs; zabkit keeps numbers (a zxid's epoch below 2^21).
import { Map as IMap, Set as ISet } from 'immutable';
import { canonicalAcl, OPEN_ACL } from '../tree/acl.ts';
import { treeDigest as zabkitDigest } from '../tree/digest.ts';
import { emptyTree, type Acl, type NodeKind, type Session, type SessionId, type Tree, type Znode } from '../tree/index.ts';
import { nameOf, parentOf } from '../tree/path.ts';
import { LIMIT_NODE, QUOTA_ROOT, quotaTarget } from '../tree/quota.ts';
import { MAX_EPOCH } from '../zab/zxid.ts';
import { DIGEST_VERSION } from './apache-format.ts';
import { treeDigest } from './apache-digest.ts';
import { OPEN_ACL_REF, type ApacheSnapshot, type SnapNode, type StatPersisted } from './apache-snapshot.ts';

export const CONTAINER_OWNER = -(1n << 63n);
const EXTENDED = 0xff00000000000000n;
const RESERVED = 0x00ffff0000000000n;
const TTL_VALUE = 0x000000ffffffffffn;

export class ConversionError extends Error {}

/** A persisted ephemeralOwner as zabkit's node kind. */
export function kindOfOwner(owner: bigint): NodeKind {
  if (owner === 0n) return { type: 'persistent' };
  if (owner === CONTAINER_OWNER) return { type: 'container' };
  if ((BigInt.asUintN(64, owner) & EXTENDED) === EXTENDED) {
    if ((owner & RESERVED) !== 0n) throw new ConversionError(`ephemeralOwner 0x${BigInt.asUintN(64, owner).toString(16)}: an extended type this build does not know`);
    return { type: 'ttl', ttl: Number(owner & TTL_VALUE) };
  }
  return { type: 'ephemeral', owner };
}

export function ownerOfKind(k: NodeKind): bigint {
  switch (k.type) {
    case 'persistent':
      return 0n;
    case 'container':
      return CONTAINER_OWNER;
    case 'ttl':
      return BigInt.asIntN(64, EXTENDED | BigInt(k.ttl));
    case 'ephemeral':
      return k.owner;
  }
}

/** A Java long zxid as zabkit's number, refused when its epoch does not fit. */
export function zxidNumber(z: bigint, what: string): number {
  if (z < 0n || z >> 32n > BigInt(MAX_EPOCH)) throw new ConversionError(`${what}: zxid 0x${BigInt.asUintN(64, z).toString(16)} is beyond zabkit's epochs (at most 0x${MAX_EPOCH.toString(16)})`);
  return Number(z);
}

export function timeNumber(t: bigint, what: string): number {
  if (t > BigInt(Number.MAX_SAFE_INTEGER) || t < BigInt(Number.MIN_SAFE_INTEGER)) throw new ConversionError(`${what}: time ${t} is not a safe integer`);
  return Number(t);
}

// ---------------------------------------------------------------- snapshot → tree

export interface Imported {
  readonly tree: Tree;
  /** What was kept but is worth saying (reserved nodes added, ephemerals of unknown sessions). */
  readonly warnings: readonly string[];
}

/** An Apache snapshot's tree as zabkit's; throws ConversionError naming the first node it cannot take. */
export function treeOfSnapshot(s: ApacheSnapshot): Imported {
  const warnings: string[] = [];
  const lists = new Map<bigint, readonly Acl[]>();
  for (const [ref, list] of s.acls) lists.set(ref, canonicalAcl(list));
  const nodes = IMap<string, Znode>().asMutable();
  const children = new Map<string, string[]>();
  const ephemerals = new Map<SessionId, string[]>();
  const quotas: string[] = [];
  const noChildren = ISet<string>();
  for (const n of s.nodes) {
    if (nodes.has(n.path)) throw new ConversionError(`node ${n.path} appears twice`);
    const acl = n.acl === OPEN_ACL_REF ? OPEN_ACL : lists.get(n.acl);
    if (!acl) throw new ConversionError(`node ${n.path}: ACL reference ${n.acl} is not in the snapshot's ACL table`);
    const kind = kindOfOwner(n.stat.ephemeralOwner);
    const t = n.stat;
    nodes.set(n.path, {
      data: n.data,
      acl,
      kind,
      czxid: zxidNumber(t.czxid, n.path),
      mzxid: zxidNumber(t.mzxid, n.path),
      pzxid: zxidNumber(t.pzxid, n.path),
      ctime: timeNumber(t.ctime, n.path),
      mtime: timeNumber(t.mtime, n.path),
      version: t.version,
      aversion: t.aversion,
      childCreates: t.cversion,
      children: noChildren,
    });
    if (n.path !== '/') {
      const parent = parentOf(n.path);
      if (!nodes.has(parent)) throw new ConversionError(`node ${n.path} comes before its parent ${parent}`);
      const names = children.get(parent);
      if (names) names.push(nameOf(n.path));
      else children.set(parent, [nameOf(n.path)]);
    }
    if (kind.type === 'ephemeral') {
      const mine = ephemerals.get(kind.owner);
      if (mine) mine.push(n.path);
      else ephemerals.set(kind.owner, [n.path]);
    }
    if (nameOf(n.path) === LIMIT_NODE && n.path.startsWith(`${QUOTA_ROOT}/`)) quotas.push(quotaTarget(parentOf(n.path)));
  }
  // zabkit's tree always holds ZooKeeper's system nodes (TREE-3); an old snapshot may lack one.
  const fresh = emptyTree();
  for (const [path, node] of fresh.nodes) {
    if (nodes.has(path)) continue;
    if (path !== '/' && !nodes.has(parentOf(path))) throw new ConversionError(`the snapshot has no ${parentOf(path)}`);
    warnings.push(`the snapshot has no ${path}: added as a fresh tree has it`);
    nodes.set(path, { ...node, children: noChildren });
    if (path !== '/') children.set(parentOf(path), [...(children.get(parentOf(path)) ?? []), nameOf(path)]);
  }
  for (const [parent, names] of children) nodes.set(parent, { ...nodes.get(parent)!, children: ISet(names) });
  const known = new Set(s.sessions.map((x) => x.id));
  for (const [owner, paths] of ephemerals) {
    if (!known.has(owner)) warnings.push(`${paths.length} ephemeral node(s) of session 0x${BigInt.asUintN(64, owner).toString(16)}, which the snapshot does not list (e.g. ${paths[0]})`);
  }
  const sessions = IMap<SessionId, Session>().withMutations((m) => {
    for (const x of s.sessions) m.set(x.id, { timeout: x.timeout, ephemerals: ISet(ephemerals.get(x.id) ?? []) });
  });
  const done = nodes.asImmutable();
  return { tree: { nodes: done, sessions, quotas: ISet(quotas), digest: zabkitDigest(done) }, warnings };
}

// ---------------------------------------------------------------- tree → snapshot

export function statOfNode(n: Znode): StatPersisted {
  return {
    czxid: BigInt(n.czxid),
    mzxid: BigInt(n.mzxid),
    ctime: BigInt(n.ctime),
    mtime: BigInt(n.mtime),
    version: n.version,
    cversion: n.childCreates,
    aversion: n.aversion,
    ephemeralOwner: ownerOfKind(n.kind),
    pzxid: BigInt(n.pzxid),
  };
}

/** The tree's znodes as Apache's snapshot holds them: parents first, ACL lists numbered from 1. */
export function snapshotOfTree(tree: Tree, zxid: number): ApacheSnapshot {
  const refs = new Map<readonly Acl[], bigint>();
  const byKey = new Map<string, bigint>();
  const acls = new Map<bigint, readonly Acl[]>();
  const refOf = (acl: readonly Acl[]): bigint => {
    let ref = refs.get(acl);
    if (ref !== undefined) return ref;
    const key = acl.map((a) => `${a.perms}:${a.id.scheme}:${a.id.id}`).join('\n');
    ref = byKey.get(key);
    if (ref === undefined) {
      ref = BigInt(acls.size + 1);
      acls.set(ref, acl);
      byKey.set(key, ref);
    }
    refs.set(acl, ref);
    return ref;
  };
  const nodes: SnapNode[] = [];
  const stack = ['/'];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const n = tree.nodes.get(path);
    if (!n) throw new ConversionError(`the tree lists ${path} as a child but has no such node`);
    nodes.push({ path, data: n.data, acl: refOf(n.acl), stat: statOfNode(n) });
    const names = [...n.children].sort().reverse(); // popped in order
    for (const c of names) stack.push(path === '/' ? `/${c}` : `${path}/${c}`);
  }
  if (nodes.length !== tree.nodes.size) throw new ConversionError(`${tree.nodes.size - nodes.length} node(s) are not reachable from /`);
  const sessions = [...tree.sessions].map(([id, s]) => ({ id, timeout: s.timeout }));
  return { dbid: -1n, sessions, acls, nodes, digest: { zxid: BigInt(zxid), version: DIGEST_VERSION, digest: treeDigest(nodes) } };
}
