// prepare(tree, request) → txn | error: the leader's half of a write (ZooKeeper's
// PrepRequestProcessor). `tree` must be the tree as it will be once every txn prepared before
// this one is applied; the checks run in ZooKeeper's order, so the first failure is its error.
import { allowed, fixupAcl } from './acl.ts';
import { MultiDraft } from './apply.ts';
import { Code, CreateMode, type ErrorCode, MAX_TTL, Perms } from './codes.ts';
import { parentOf, pathProblem, RESERVED, sequenceSuffix } from './path.ts';
import { quotaCheck } from './quota.ts';
import { dataSizeOf } from './node.ts';
import { assertNever, CONTAINER, dataLength, ephemeralsInCloseOrder, PERSISTENT } from './tree.ts';
import {
  DEFAULT_TREE_CONFIG,
  type Applied,
  type NodeKind,
  type Prepared,
  type Request,
  type RequestHeader,
  type Tree,
  type TreeConfig,
  type Txn,
  type TxnOp,
  type WriteOp,
  type Znode,
} from './types.ts';

type Outcome = TxnOp | ErrorCode;

/** Java int arithmetic for version + 1 (TREE-18). */
const nextVersion = (v: number): number => (v + 1) | 0;

const versionMatches = (current: number, expected: number): boolean => expected === -1 || expected === current; // TREE-18

const TTL_MODES: readonly number[] = [CreateMode.PERSISTENT_WITH_TTL, CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL];
const SEQUENTIAL_MODES: readonly number[] = [
  CreateMode.PERSISTENT_SEQUENTIAL,
  CreateMode.EPHEMERAL_SEQUENTIAL,
  CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL,
];

class Context {
  readonly warnings: string[] = [];
  /** A multi's outcome, made while preparing it. */
  applied?: Applied;
  constructor(
    readonly header: RequestHeader,
    readonly config: TreeConfig,
  ) {}

  /** SESSION-5 */
  sessionLive(tree: Tree): boolean {
    return tree.sessions.has(this.header.session);
  }

  /** TREE-24: undefined when the write may go on. */
  quota(tree: Tree, path: string, dCount: number, dBytes: number): ErrorCode | undefined {
    if (!this.config.enforceQuota) return undefined;
    const q = quotaCheck(tree, path, dCount, dBytes);
    if (!q) return undefined;
    if (q.hard) return Code.QuotaExceeded;
    this.warnings.push(q.text);
    return undefined;
  }
}

function prepareCreate(tree: Tree, w: Extract<WriteOp, { path: string; flags: number }>, c: Context): Outcome {
  const { flags } = w;
  // TREE-4
  if (!Number.isInteger(flags) || flags < CreateMode.PERSISTENT || flags > CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL) return Code.BadArguments;
  // TREE-8
  const ttl = w.op === 'createTTL' ? (w.ttl ?? -1) : -1;
  const isTtl = TTL_MODES.includes(flags);
  if (isTtl && !c.config.extendedTypes) return Code.Unimplemented;
  if (isTtl ? ttl <= 0 || ttl > MAX_TTL : ttl >= 0) return Code.BadArguments;
  if (!c.sessionLive(tree)) return Code.SessionExpired; // SESSION-5
  // TREE-14: the shape checks ZooKeeper makes before it looks at the tree.
  if (!w.path.includes('/') || w.path.includes('\0')) return Code.BadArguments;
  const acl = fixupAcl(w.acl, c.header.auth, c.config); // ACL-3
  if (typeof acl === 'number') return acl;
  const parent = tree.nodes.get(parentOf(w.path));
  if (!parent) return Code.NoNode;
  if (!allowed(parent.acl, Perms.CREATE, c.header.auth)) return Code.NoAuth; // ACL-4
  // TREE-6. join, not +: a flat string (+ makes a 32-byte rope the tree would keep as the path, and hash slowly).
  const path = SEQUENTIAL_MODES.includes(flags) ? [w.path, sequenceSuffix(parent.childCreates)].join('') : w.path;
  if (pathProblem(path) !== undefined) return Code.BadArguments; // TREE-1
  if (tree.nodes.has(path)) return Code.NodeExists;
  if (parent.kind.type === 'ephemeral') return Code.NoChildrenForEphemerals; // TREE-5
  const quota = c.quota(tree, path, 1, dataLength(w.data));
  if (quota !== undefined) return quota;
  if (dataLength(w.data) > c.config.maxDataBytes) return Code.BadArguments; // TREE-25
  const kind: NodeKind =
    flags === CreateMode.EPHEMERAL || flags === CreateMode.EPHEMERAL_SEQUENTIAL
      ? { type: 'ephemeral', owner: c.header.session }
      : flags === CreateMode.CONTAINER
        ? CONTAINER
        : isTtl
          ? { type: 'ttl', ttl }
          : PERSISTENT;
  return {
    type: 'create',
    path,
    data: w.data,
    acl,
    kind,
    parentCreates: parent.childCreates + 1, // TREE-10
    withStat: w.op !== 'create', // TREE-15
  };
}

function prepareDelete(tree: Tree, path: string, version: number, c: Context): Outcome {
  if (!c.sessionLive(tree)) return Code.SessionExpired; // SESSION-5
  if (!path.includes('/') || path.includes('\0') || RESERVED.has(path)) return Code.BadArguments; // TREE-2
  const parent = tree.nodes.get(parentOf(path));
  if (!parent) return Code.NoNode; // TREE-16
  if (!allowed(parent.acl, Perms.DELETE, c.header.auth)) return Code.NoAuth; // ACL-4
  const node = tree.nodes.get(path);
  if (!node) return Code.NoNode;
  if (!versionMatches(node.version, version)) return Code.BadVersion;
  if (node.children.size > 0) return Code.NotEmpty;
  return { type: 'delete', path };
}

function prepareDeleteContainer(tree: Tree, path: string): Outcome {
  // TREE-7: the leader's own request; no session, no ACL.
  if (!path.includes('/') || path.includes('\0') || RESERVED.has(path)) return Code.BadArguments;
  const node = tree.nodes.get(path);
  if (!node) return Code.NoNode;
  if (node.children.size > 0) return Code.NotEmpty;
  if (node.kind.type === 'ephemeral') return Code.BadVersion;
  if (!tree.nodes.has(parentOf(path))) return Code.NoNode;
  return { type: 'delete', path };
}

/** The checks setData and check open with: session, path, node, permission on the node. */
function permittedNode(tree: Tree, path: string, perm: number, c: Context): Znode | ErrorCode {
  if (!c.sessionLive(tree)) return Code.SessionExpired; // SESSION-5
  if (pathProblem(path) !== undefined) return Code.BadArguments; // TREE-1
  const node = tree.nodes.get(path);
  if (!node) return Code.NoNode;
  return allowed(node.acl, perm, c.header.auth) ? node : Code.NoAuth; // ACL-4
}

function prepareSetData(tree: Tree, w: Extract<WriteOp, { op: 'setData' }>, c: Context): Outcome {
  // TREE-17
  const node = permittedNode(tree, w.path, Perms.WRITE, c);
  if (typeof node === 'number') return node;
  const quota = c.quota(tree, w.path, 0, dataLength(w.data) - dataSizeOf(node));
  if (quota !== undefined) return quota;
  if (!versionMatches(node.version, w.version)) return Code.BadVersion;
  if (dataLength(w.data) > c.config.maxDataBytes) return Code.BadArguments; // TREE-25
  return { type: 'setData', path: w.path, data: w.data, version: nextVersion(node.version) };
}

function prepareSetAcl(tree: Tree, w: Extract<WriteOp, { op: 'setACL' }>, c: Context): Outcome {
  // TREE-20
  if (!c.sessionLive(tree)) return Code.SessionExpired;
  if (pathProblem(w.path) !== undefined) return Code.BadArguments;
  const acl = fixupAcl(w.acl, c.header.auth, c.config);
  if (typeof acl === 'number') return acl;
  const node = tree.nodes.get(w.path);
  if (!node) return Code.NoNode;
  if (!allowed(node.acl, Perms.ADMIN, c.header.auth)) return Code.NoAuth;
  if (!versionMatches(node.aversion, w.version)) return Code.BadVersion;
  return { type: 'setACL', path: w.path, acl, aversion: nextVersion(node.aversion) };
}

function prepareCheck(tree: Tree, w: Extract<WriteOp, { op: 'check' }>, c: Context): Outcome {
  // TREE-19
  const node = permittedNode(tree, w.path, Perms.READ, c);
  if (typeof node === 'number') return node;
  if (!versionMatches(node.version, w.version)) return Code.BadVersion;
  return { type: 'check', path: w.path };
}

const CONFIG_NODE = '/zookeeper/config';

const MULTI_OPS: ReadonlySet<WriteOp['op']> = new Set(['create', 'create2', 'createContainer', 'createTTL', 'delete', 'setData', 'check']);

function txnOf(op: TxnOp, h: RequestHeader): Txn {
  return { zxid: h.zxid, time: h.time, session: h.session, op };
}

/** Every write's hot path: a plain switch, exhaustive by assertNever (as applyOp). */
function prepareOp(tree: Tree, w: WriteOp, c: Context): Outcome | { multiFailure: readonly ErrorCode[]; err: ErrorCode } {
  switch (w.op) {
    case 'create':
    case 'create2':
    case 'createContainer':
    case 'createTTL':
      return prepareCreate(tree, w, c);
    case 'delete':
      return prepareDelete(tree, w.path, w.version, c);
    case 'deleteContainer':
      return prepareDeleteContainer(tree, w.path);
    case 'setData':
      return prepareSetData(tree, w, c);
    case 'setACL':
      return prepareSetAcl(tree, w, c);
    case 'check':
      return prepareCheck(tree, w, c);
    case 'reconfig': {
      // TREE-26: WRITE on /zookeeper/config (only super, by its ACL); the stat's version becomes −1, as ZooKeeper's.
      const node = permittedNode(tree, CONFIG_NODE, Perms.WRITE, c);
      if (typeof node === 'number') return node;
      return { type: 'setData', path: CONFIG_NODE, data: w.data, version: -1 };
    }
    case 'createSession':
      return { type: 'createSession', timeout: w.timeout }; // SESSION-2
    case 'closeSession': {
      // SESSION-4: the ephemerals as they will be when this txn applies.
      const held = tree.sessions.get(c.header.session)?.ephemerals;
      return { type: 'closeSession', paths: held ? ephemeralsInCloseOrder(tree, held) : [] };
    }
    case 'multi': {
      // TREE-21: each op sees what the ops before it did; the first failure fails them all.
      const m = new MultiDraft(tree, c.header);
      const ops: TxnOp[] = [];
      for (let i = 0; i < w.ops.length; i++) {
        const sub = w.ops[i] as WriteOp;
        const r = MULTI_OPS.has(sub.op) ? prepareOp(m.tree, sub, c) : Code.BadArguments;
        if (typeof r === 'number' || 'multiFailure' in r) {
          const err = typeof r === 'number' ? r : r.err;
          const results = w.ops.map((_, j): ErrorCode => (j < i ? Code.OK : j === i ? err : Code.RuntimeInconsistency));
          return { multiFailure: results, err };
        }
        ops.push(r);
        m.add(r);
      }
      c.applied = m.done();
      return { type: 'multi', ops } as TxnOp;
    }
    default:
      return assertNever(w);
  }
}

/** The leader's half of a write: a txn to propose, or the error to answer with. */
export function prepare(tree: Tree, request: Request, config: TreeConfig = DEFAULT_TREE_CONFIG): Prepared {
  const c = new Context(request, config);
  const r = prepareOp(tree, request.write, c);
  if (typeof r === 'number') return { ok: false, err: r };
  if ('multiFailure' in r) return { ok: false, err: r.err, results: r.multiFailure };
  const txn = txnOf(r, request);
  return c.applied ? { ok: true, txn, warnings: c.warnings, applied: c.applied } : { ok: true, txn, warnings: c.warnings };
}

/** TREE-23: the error txn ZooKeeper logs for a failed write; applying it changes nothing. */
export function errorTxn(request: RequestHeader, failure: Extract<Prepared, { ok: false }>): Txn {
  const op: TxnOp = failure.results ? { type: 'error', err: failure.err, results: failure.results } : { type: 'error', err: failure.err };
  return txnOf(op, request);
}
