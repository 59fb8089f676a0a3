// apply(tree, txn) → (tree, events, result): every replica, in zxid order. It decides nothing;
// what depends on the tree was decided by prepare and travels in the txn.
import { Set as ISet } from 'immutable';
import { canonicalAcl } from './acl.ts';
import { NameSet, namePrefix } from './children.ts';
import { Code, type ErrorCode, EventType } from './codes.ts';
import { digestAfter } from './digest.ts';
import { nameOf, parentOf } from './path.ts';
import { LIMIT_NODE, QUOTA_ROOT, STAT_NODE, quotaPrefixOf, quotaTarget, usageOf, withUsage } from './quota.ts';
import { dataSizeOf, nodeWith } from './node.ts';
import { assertNever, canonicalKind, dataLength, draft, ephemeralsInCloseOrder, newNode, settle, statOf } from './tree.ts';
import type { Applied, OpResult, Tree, TreeEvent, Txn, TxnOp } from './types.ts';

/** What applying an op uses of its txn besides the op: a multi's ops share their txn's. */
type Stamp = Pick<Txn, 'zxid' | 'time' | 'session'>;

interface Step {
  readonly tree: Tree;
  readonly result: OpResult;
}

const failed = (tree: Tree, err: ErrorCode): Step => ({ tree, result: { type: 'error', err } });

function create(t: Tree, op: Extract<TxnOp, { type: 'create' }>, txn: Stamp, events: TreeEvent[]): Step {
  const parentPath = parentOf(op.path);
  const parent = t.nodes.get(parentPath);
  if (!parent) return failed(t, Code.NoNode);
  if (t.nodes.has(op.path)) {
    // TREE-10: a replayed create leaves the node alone but still moves the parent's counter forward.
    if (op.parentCreates <= parent.childCreates) return failed(t, Code.NodeExists);
    const moved = nodeWith(parent, { childCreates: op.parentCreates, pzxid: txn.zxid });
    return failed({ ...t, nodes: t.nodes.set(parentPath, moved), digest: digestAfter(t.digest, parentPath, parent, moved) }, Code.NodeExists); // TREE-27
  }
  const name = nameOf(op.path);
  const node = newNode(op.data, canonicalAcl(op.acl), canonicalKind(op.kind), txn.zxid, txn.time); // TREE-9
  const bump = op.parentCreates > parent.childCreates; // TREE-10
  const children = NameSet.from(parent.children, parentPath).addPath(op.path, namePrefix(parentPath));
  const newParent = bump ? nodeWith(parent, { children, childCreates: op.parentCreates, pzxid: txn.zxid }) : nodeWith(parent, { children });
  // TREE-27: the new node's hash in; the parent's old one out, its new one in.
  const digest = digestAfter(digestAfter(t.digest, op.path, undefined, node), parentPath, parent, newParent);
  const nodes = t.nodes.set(op.path, node).set(parentPath, newParent);
  let { sessions, quotas } = t;
  const kind = op.kind;
  if (kind.type === 'ephemeral') {
    // TREE-5: the owner's ephemerals, for SESSION-4.
    const s = sessions.get(kind.owner);
    if (s) sessions = sessions.set(kind.owner, { ...s, ephemerals: s.ephemerals.add(op.path) });
  }
  let tree: Tree = { nodes, sessions, quotas, digest };
  if (parentPath.startsWith(QUOTA_ROOT)) {
    // TREE-24: a limits node starts tracking its path; a stats node gets the subtree's usage.
    const target = quotaTarget(parentPath);
    if (name === LIMIT_NODE) tree = { ...tree, quotas: quotas.add(target) };
    if (name === STAT_NODE) {
      const u = usageOf(nodes, target);
      tree = withUsage(tree, target, u.count, u.bytes, true);
    }
  }
  const prefix = quotaPrefixOf(tree, op.path);
  const final = prefix === undefined ? tree : withUsage(tree, prefix, 1, dataLength(op.data));
  // WATCH-2
  events.push({ type: EventType.NodeCreated, path: op.path, acl: node.acl });
  events.push({ type: EventType.NodeChildrenChanged, path: parentPath, acl: parent.acl });
  const stat = op.withStat ? statOf(node) : undefined;
  return { tree: final, result: stat ? { type: 'create', path: op.path, stat } : { type: 'create', path: op.path } };
}

function remove(t: Tree, path: string, zxid: number, events: TreeEvent[]): Step {
  const parentPath = parentOf(path);
  const parent = t.nodes.get(parentPath);
  if (!parent) return failed(t, Code.NoNode);
  const name = nameOf(path);
  // TREE-11: pzxid only moves forward; the create counter stays.
  const newParent = nodeWith(parent, { children: NameSet.from(parent.children, parentPath).removePath(path, namePrefix(parentPath)), pzxid: Math.max(parent.pzxid, zxid) });
  const node = t.nodes.get(path);
  const digest = digestAfter(t.digest, parentPath, parent, newParent); // TREE-27
  if (!node) return failed({ ...t, nodes: t.nodes.set(parentPath, newParent), digest }, Code.NoNode);
  const nodes = t.nodes.remove(path).set(parentPath, newParent);
  let { sessions, quotas } = t;
  if (node.kind.type === 'ephemeral') {
    const owner = node.kind.owner;
    const s = sessions.get(owner);
    if (s) sessions = sessions.set(owner, { ...s, ephemerals: s.ephemerals.remove(path) });
  }
  if (parentPath.startsWith(QUOTA_ROOT) && name === LIMIT_NODE) quotas = quotas.remove(quotaTarget(parentPath)); // TREE-24
  // TREE-27 (a txn deleting `/`, which prepare never makes, leaves it as its own new parent)
  const tree: Tree = { nodes, sessions, quotas, digest: path === parentPath ? digest : digestAfter(digest, path, node, undefined) };
  const prefix = quotaPrefixOf(tree, path);
  const final = prefix === undefined ? tree : withUsage(tree, prefix, -1, -dataSizeOf(node));
  // WATCH-2
  events.push({ type: EventType.NodeDeleted, path, acl: node.acl });
  events.push({ type: EventType.NodeChildrenChanged, path: parentPath, acl: parent.acl });
  return { tree: final, result: { type: 'delete' } };
}

function setData(t: Tree, op: Extract<TxnOp, { type: 'setData' }>, txn: Stamp, events: TreeEvent[]): Step {
  const node = t.nodes.get(op.path);
  if (!node) return failed(t, Code.NoNode);
  // TREE-12
  const updated = nodeWith(node, { data: op.data, version: op.version, mzxid: txn.zxid, mtime: txn.time });
  let tree: Tree = { ...t, nodes: t.nodes.set(op.path, updated), digest: digestAfter(t.digest, op.path, node, updated) }; // TREE-27
  const prefix = quotaPrefixOf(t, op.path);
  if (prefix !== undefined) tree = withUsage(tree, prefix, 0, dataLength(op.data) - dataSizeOf(node)); // TREE-24
  events.push({ type: EventType.NodeDataChanged, path: op.path, acl: node.acl }); // WATCH-2
  return { tree, result: { type: 'setData', stat: statOf(updated) } };
}

function setAcl(t: Tree, op: Extract<TxnOp, { type: 'setACL' }>): Step {
  const node = t.nodes.get(op.path);
  if (!node) return failed(t, Code.NoNode);
  const updated = nodeWith(node, { acl: canonicalAcl(op.acl), aversion: op.aversion }); // TREE-13
  const tree = { ...t, nodes: t.nodes.set(op.path, updated), digest: digestAfter(t.digest, op.path, node, updated) }; // TREE-27
  return { tree, result: { type: 'setACL', stat: statOf(updated) } };
}

function closeSession(t: Tree, op: Extract<TxnOp, { type: 'closeSession' }>, txn: Stamp, events: TreeEvent[]): Step {
  // SESSION-4: the txn's list, plus any ephemeral this replica still holds for the session.
  const held = t.sessions.get(txn.session)?.ephemerals ?? ISet<string>();
  // The txn's order first (ZooKeeper's DataTree.killSession), then what only this replica holds.
  const listed = new Set(op.paths);
  const paths = [...op.paths, ...ephemeralsInCloseOrder(t, [...held].filter((p) => !listed.has(p)))];
  let tree = t;
  for (const p of paths) tree = remove(tree, p, txn.zxid, events).tree;
  return { tree: { ...tree, sessions: tree.sessions.remove(txn.session) }, result: { type: 'closeSession' } };
}

/** Every write's hot path: a plain switch (ts-pattern's matchers cost ~5 % of a setData), exhaustive by assertNever. */
function applyOp(t: Tree, op: TxnOp, txn: Stamp, events: TreeEvent[]): Step {
  switch (op.type) {
    case 'create':
      return create(t, op, txn, events);
    case 'delete':
      return remove(t, op.path, txn.zxid, events);
    case 'setData':
      return setData(t, op, txn, events);
    case 'setACL':
      return setAcl(t, op);
    case 'check':
      return { tree: t, result: { type: 'check' } }; // TREE-19
    case 'createSession': {
      // SESSION-2
      const ephemerals = t.sessions.get(txn.session)?.ephemerals ?? ISet<string>();
      return { tree: { ...t, sessions: t.sessions.set(txn.session, { timeout: op.timeout, ephemerals }) }, result: { type: 'createSession' } };
    }
    case 'closeSession':
      return closeSession(t, op, txn, events);
    case 'multi': {
      // TREE-21: a multi txn is only made when every op succeeded; its ops apply in order.
      const m = new MultiDraft(t, txn, events);
      for (const sub of op.ops) m.add(sub);
      return m.done();
    }
    case 'error': // TREE-23
      return { tree: t, result: op.results ? { type: 'error', err: op.err, results: op.results } : { type: 'error', err: op.err } };
    default:
      return assertNever(op);
  }
}

/** Apply one committed txn. Events are in the order their watches must be told (WATCH-8). */
export function apply(tree: Tree, txn: Txn): Applied {
  const events: TreeEvent[] = [];
  const s = applyOp(tree, txn.op, txn, events);
  return { tree: s.tree, events, result: s.result };
}

/**
 * A multi applied op by op into a private draft of the tree (a multi of 1,000 creates would
 * otherwise copy 1,000 map paths). apply's multi and prepare's, which prepares each op against
 * the ops before it, are this one piece, so the outcome prepare hands on (Prepared.applied) is
 * the one apply would compute.
 */
export class MultiDraft {
  private t: Tree;
  private readonly results: OpResult[] = [];

  constructor(
    tree: Tree,
    private readonly stamp: Stamp,
    readonly events: TreeEvent[] = [],
  ) {
    this.t = draft(tree);
  }

  /** The tree with every op added so far: what the next op is prepared against. */
  get tree(): Tree {
    return this.t;
  }

  add(op: TxnOp): void {
    const s = applyOp(this.t, op, this.stamp, this.events);
    this.t = s.tree;
    this.results.push(s.result);
  }

  done(): Applied {
    return { tree: settle(this.t), events: this.events, result: { type: 'multi', results: this.results } };
  }
}
