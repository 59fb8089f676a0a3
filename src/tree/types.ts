// The data tree's state, requests, txns and results. Everything is immutable: `apply` returns a
// new tree that shares all it did not change with the old one (persistent maps: node-map.ts for
// the nodes, immutable.js for sessions and quotas).
import type { Map as IMap, Set as ISet } from 'immutable';
import type { Children } from './children.ts';
import type { Nodes } from './node-map.ts';
import type { Zxid } from '../zab/zxid.ts';
import type { ErrorCode, EventType } from './codes.ts';

export type { Zxid, Children, Nodes };
/** A 64-bit ZooKeeper session id. */
export type SessionId = bigint;

export interface Id {
  readonly scheme: string;
  readonly id: string;
}
export interface Acl {
  readonly perms: number;
  readonly id: Id;
}

/** What a node is (TREE-4..8). ZooKeeper packs this into the stored ephemeralOwner. */
export type NodeKind =
  | { readonly type: 'persistent' }
  | { readonly type: 'ephemeral'; readonly owner: SessionId }
  | { readonly type: 'container' }
  | { readonly type: 'ttl'; readonly ttl: number };

/** A znode's data. null is not empty: ZooKeeper keeps a create or setData with null data as null (length −1 on the wire). */
export type Data = Uint8Array | null;

export interface Znode {
  readonly data: Data;
  readonly acl: readonly Acl[];
  readonly kind: NodeKind;
  readonly czxid: Zxid;
  readonly mzxid: Zxid;
  readonly pzxid: Zxid;
  readonly ctime: number;
  readonly mtime: number;
  readonly version: number;
  readonly aversion: number;
  /** How many children were ever created (ZooKeeper's stored cversion; TREE-6, TREE-11). */
  readonly childCreates: number;
  /** The child names: immutable.js's Set or, once apply changed them, children.ts's compact NameSet. */
  readonly children: Children;
}

/** The Stat a client sees (68 bytes on the wire). */
export interface Stat {
  readonly czxid: Zxid;
  readonly mzxid: Zxid;
  readonly ctime: number;
  readonly mtime: number;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  readonly ephemeralOwner: SessionId;
  readonly dataLength: number;
  readonly numChildren: number;
  readonly pzxid: Zxid;
}

export interface Session {
  readonly timeout: number;
  readonly ephemerals: ISet<string>;
}

export interface Tree {
  /** node-map.ts's NodeMap as apply keeps it; immutable.js's Map as snapshot.ts and src/ops build it. */
  readonly nodes: Nodes;
  readonly sessions: IMap<SessionId, Session>;
  /** Paths with a quota (a zookeeper_limits node under /zookeeper/quota; TREE-24). */
  readonly quotas: ISet<string>;
  /** The sum of the nodes' hashes, kept by every change (TREE-27, digest.ts). */
  readonly digest: number;
}

export interface TreeConfig {
  /** TTL nodes (TREE-8); ZooKeeper's zookeeper.extendedTypesEnabled. */
  readonly extendedTypes: boolean;
  /** Hard quota limits fail writes (TREE-24); ZooKeeper's zookeeper.enforceQuota. */
  readonly enforceQuota: boolean;
  /** jute.maxbuffer (TREE-25). */
  readonly maxDataBytes: number;
  /** The `sasl` ACL scheme is known (ZooKeeper's SASLAuthenticationProvider is configured, ACL-3). */
  readonly saslAcl?: boolean;
  /** The `x509` ACL scheme is known (a TLS client port registers ZooKeeper's X509AuthenticationProvider, ACL-3). */
  readonly x509Acl?: boolean;
}

export const DEFAULT_TREE_CONFIG: TreeConfig = { extendedTypes: false, enforceQuota: false, maxDataBytes: 0xfffff };

// ---- requests (what prepare takes) ----

export type CreateOpName = 'create' | 'create2' | 'createContainer' | 'createTTL';

export type WriteOp =
  | {
      readonly op: CreateOpName;
      readonly path: string;
      readonly data: Data;
      readonly acl: readonly Acl[];
      readonly flags: number;
      /** createTTL only. */
      readonly ttl?: number;
    }
  | { readonly op: 'delete'; readonly path: string; readonly version: number }
  | { readonly op: 'deleteContainer'; readonly path: string }
  | { readonly op: 'setData'; readonly path: string; readonly data: Data; readonly version: number }
  | { readonly op: 'setACL'; readonly path: string; readonly acl: readonly Acl[]; readonly version: number }
  | { readonly op: 'check'; readonly path: string; readonly version: number }
  | { readonly op: 'multi'; readonly ops: readonly WriteOp[] }
  | { readonly op: 'createSession'; readonly timeout: number }
  | { readonly op: 'closeSession' }
  /** TREE-26: the ensemble's new configuration (its text, built by the leader) into /zookeeper/config. */
  | { readonly op: 'reconfig'; readonly data: Uint8Array };

/** Who asks, and the zxid and time the leader gives the txn. */
export interface RequestHeader {
  readonly session: SessionId;
  readonly auth: readonly Id[];
  readonly zxid: Zxid;
  readonly time: number;
}

export interface Request extends RequestHeader {
  readonly write: WriteOp;
}

// ---- txns (what apply takes) ----

export type TxnOp =
  | {
      readonly type: 'create';
      readonly path: string;
      readonly data: Data;
      readonly acl: readonly Acl[];
      readonly kind: NodeKind;
      /** The parent's child-create counter after this create (TREE-10). */
      readonly parentCreates: number;
      /** Whether the reply carries the stat (TREE-15). */
      readonly withStat: boolean;
    }
  | { readonly type: 'delete'; readonly path: string }
  | { readonly type: 'setData'; readonly path: string; readonly data: Data; readonly version: number }
  | { readonly type: 'setACL'; readonly path: string; readonly acl: readonly Acl[]; readonly aversion: number }
  | { readonly type: 'check'; readonly path: string }
  | { readonly type: 'createSession'; readonly timeout: number }
  | { readonly type: 'closeSession'; readonly paths: readonly string[] }
  | { readonly type: 'multi'; readonly ops: readonly TxnOp[] }
  /** A failed write, logged as ZooKeeper logs it (TREE-23); results: a failed multi's codes. */
  | { readonly type: 'error'; readonly err: ErrorCode; readonly results?: readonly ErrorCode[] };

export interface Txn {
  readonly zxid: Zxid;
  readonly time: number;
  readonly session: SessionId;
  readonly op: TxnOp;
  /** The leader's tree digest once this txn is applied (TREE-27); apply ignores it, a replica compares. */
  readonly digest?: number;
}

export type Prepared =
  | {
      readonly ok: true;
      readonly txn: Txn;
      readonly warnings: readonly string[];
      /** apply(tree, txn) of the tree prepared against, when preparing made it already (a multi). */
      readonly applied?: Applied;
    }
  | { readonly ok: false; readonly err: ErrorCode; readonly path?: string; readonly results?: readonly ErrorCode[] };

// ---- results (what apply returns besides the tree) ----

export type OpResult =
  | { readonly type: 'create'; readonly path: string; readonly stat?: Stat }
  | { readonly type: 'delete' }
  | { readonly type: 'setData'; readonly stat: Stat }
  | { readonly type: 'setACL'; readonly stat: Stat }
  | { readonly type: 'check' }
  | { readonly type: 'createSession' }
  | { readonly type: 'closeSession' }
  | { readonly type: 'multi'; readonly results: readonly OpResult[] }
  | { readonly type: 'error'; readonly err: ErrorCode; readonly results?: readonly ErrorCode[] };

/** A change a watch may be told of (WATCH-2); acl: of the node the event is about (WATCH-7). */
export interface TreeEvent {
  readonly type: EventType;
  readonly path: string;
  readonly acl: readonly Acl[];
}

export interface Applied {
  readonly tree: Tree;
  readonly events: readonly TreeEvent[];
  readonly result: OpResult;
}
