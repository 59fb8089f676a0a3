// The tree itself: the fresh tree, node lookups and the client-visible Stat (TREE-3, TREE-9, TREE-11).
import { Map as IMap, Set as ISet } from 'immutable';
import { OPEN_ACL, READ_ACL } from './acl.ts';
import { NameSet } from './children.ts';
import { treeDigest } from './digest.ts';
import { closeOrder } from './hash-order.ts';
import { NodeMap } from './node-map.ts';
import { compactNode, dataSizeOf } from './node.ts';
import type { Data, NodeKind, SessionId, Stat, Tree, Znode } from './types.ts';

export const PERSISTENT: NodeKind = { type: 'persistent' };
export const CONTAINER: NodeKind = { type: 'container' };
export const EMPTY_DATA = new Uint8Array(0);
/** TREE-9: null data has length 0 in the stat. */
export const dataLength = (d: Data): number => d?.length ?? 0;

/** TREE-9: a new node (compact: node.ts). */
export function newNode(data: Data, acl: Znode['acl'], kind: NodeKind, zxid: number, time: number): Znode {
  return compactNode(data, acl, kind, zxid, time);
}

/**
 * The shared kind object for persistent and container nodes, and for an ephemeral of the owner
 * seen last (a session's ephemerals come in runs): a node then costs no kind object of its own.
 */
let lastEphemeral: NodeKind = { type: 'ephemeral', owner: 0n };
export function canonicalKind(kind: NodeKind): NodeKind {
  switch (kind.type) {
    case 'persistent':
      return PERSISTENT;
    case 'container':
      return CONTAINER;
    case 'ephemeral':
      if (lastEphemeral.type === 'ephemeral' && lastEphemeral.owner === kind.owner) return lastEphemeral;
      lastEphemeral = kind;
      return kind;
    case 'ttl':
      return kind;
  }
}

/** TREE-3: /, /zookeeper, /zookeeper/quota, /zookeeper/config with ZooKeeper's initial stats. */
export function emptyTree(): Tree {
  // Plain objects, not compact ones: src/ops copies these with { ...node }.
  const blank: Znode = { data: EMPTY_DATA, acl: OPEN_ACL, kind: PERSISTENT, czxid: 0, mzxid: 0, pzxid: 0, ctime: 0, mtime: 0, version: 0, aversion: 0, childCreates: 0, children: NameSet.EMPTY };
  const nodes = NodeMap.EMPTY.withMutations((m) => {
    m.set('/', { ...blank, children: NameSet.of('/', ['zookeeper']) });
    m.set('/zookeeper', { ...blank, children: NameSet.of('/zookeeper', ['quota', 'config']) });
    m.set('/zookeeper/quota', blank);
    m.set('/zookeeper/config', { ...blank, acl: READ_ACL, aversion: -1 });
  });
  return { nodes, sessions: IMap(), quotas: ISet(), digest: treeDigest(nodes) }; // TREE-27
}

/** TREE-9: containers and TTL nodes show ephemeralOwner 0 to clients. */
/**
 * A private, mutable copy of `t` for a run of ops nobody sees halfway (the ops of one multi):
 * each op then updates the maps in place instead of copying their paths. The original stays as
 * it was. Only the caller may hold a draft; `settle` makes it an ordinary tree again.
 */
export const draft = (t: Tree): Tree => ({ nodes: t.nodes.asMutable(), sessions: t.sessions.asMutable(), quotas: t.quotas.asMutable(), digest: t.digest });
export const settle = (t: Tree): Tree => ({ nodes: t.nodes.asImmutable(), sessions: t.sessions.asImmutable(), quotas: t.quotas.asImmutable(), digest: t.digest });

/** The default branch of an exhaustive switch: a new variant fails to compile there. */
export function assertNever(x: never): never {
  throw new Error(`unexpected ${String((x as { type?: unknown; op?: unknown }).type ?? (x as { op?: unknown }).op)}`);
}

export const ownerOf = (kind: NodeKind): SessionId => (kind.type === 'ephemeral' ? kind.owner : 0n);

/** The Stat of a node as clients see it; cversion = creates + deletes of children (TREE-11). */
export function statOf(n: Znode): Stat {
  const numChildren = n.children.size;
  return {
    czxid: n.czxid,
    mzxid: n.mzxid,
    ctime: n.ctime,
    mtime: n.mtime,
    version: n.version,
    cversion: 2 * n.childCreates - numChildren,
    aversion: n.aversion,
    ephemeralOwner: ownerOf(n.kind),
    dataLength: dataSizeOf(n),
    numChildren,
    pzxid: n.pzxid,
  };
}

/** SESSION-4: a session's ephemerals in the order ZooKeeper deletes them when it closes. */
export function ephemeralsInCloseOrder(t: Tree, paths: Iterable<string>): string[] {
  return closeOrder([...paths].map((path) => ({ path, czxid: t.nodes.get(path)?.czxid ?? 0 })));
}
