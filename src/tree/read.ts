// Reads: pure queries of one server's tree (TREE-22), and the leader's clean-up query (TREE-7, TREE-8).
import { allowed, maskDigests } from './acl.ts';
import { Code, type ErrorCode, Perms } from './codes.ts';
import { statOf } from './tree.ts';
import type { Acl, Data, Id, SessionId, Stat, Tree, Znode } from './types.ts';
import { javaSetOrder } from './java-set-order.ts';

export type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly err: ErrorCode };

const ok = <T>(value: T): Read<T> => ({ ok: true, value });
const fail = <T>(err: ErrorCode): Read<T> => ({ ok: false, err });

/** The node, if it exists and the caller may do `perm` on it (ACL-4). */
function readable(tree: Tree, path: string, perm: number, auth: readonly Id[]): Read<Znode> {
  const node = tree.nodes.get(path);
  if (!node) return fail(Code.NoNode);
  return allowed(node.acl, perm, auth) ? ok(node) : fail(Code.NoAuth);
}

/** TREE-22: READ is checked when the node exists, unless `checkAcl` is off (ZooKeeper before 3.8.4). */
export function exists(tree: Tree, path: string, auth: readonly Id[], checkAcl = true): Read<Stat> {
  if (path.includes('\0')) return fail(Code.BadArguments);
  if (!checkAcl) {
    const node = tree.nodes.get(path);
    return node ? ok(statOf(node)) : fail(Code.NoNode);
  }
  const r = readable(tree, path, Perms.READ, auth);
  return r.ok ? ok(statOf(r.value)) : r;
}

export function getData(tree: Tree, path: string, auth: readonly Id[]): Read<{ data: Data; stat: Stat }> {
  const r = readable(tree, path, Perms.READ, auth);
  return r.ok ? ok({ data: r.value.data, stat: statOf(r.value) }) : r;
}

/** getChildren and getChildren2: names sorted by code unit (ZooKeeper's order is a HashSet's). */
export function getChildren(tree: Tree, path: string, auth: readonly Id[]): Read<{ children: string[]; stat: Stat }> {
  const r = readable(tree, path, Perms.READ, auth);
  return r.ok ? ok({ children: [...r.value.children].sort(), stat: statOf(r.value) }) : r;
}

export function getAcl(tree: Tree, path: string, auth: readonly Id[]): Read<{ acl: readonly Acl[]; stat: Stat }> {
  const r = readable(tree, path, Perms.READ | Perms.ADMIN, auth);
  if (!r.ok) return r;
  const acl = allowed(r.value.acl, Perms.ADMIN, auth) ? r.value.acl : maskDigests(r.value.acl);
  return ok({ acl, stat: statOf(r.value) });
}

export function getAllChildrenNumber(tree: Tree, path: string, auth: readonly Id[]): Read<number> {
  const r = readable(tree, path, Perms.READ, auth);
  if (!r.ok) return r;
  if (path === '/') return ok(tree.nodes.size - 1);
  const prefix = `${path}/`;
  let n = 0;
  for (const p of tree.nodes.keys()) if (p.startsWith(prefix)) n++;
  return ok(n);
}

export function getEphemerals(tree: Tree, session: SessionId, prefix: string): string[] {
  const all = [...(tree.sessions.get(session)?.ephemerals ?? [])].sort();
  const p = prefix.trim();
  return p === '' || p === '/' ? all : all.filter((e) => e.startsWith(prefix));
}

/** whoAmI: the caller's ids as (scheme, user), in ZooKeeper's order (java-set-order.ts); a digest id's user is its part before ':'. */
export function whoAmI(auth: readonly Id[]): { scheme: string; user: string }[] {
  return javaSetOrder(auth).map((id) => ({ scheme: id.scheme, user: id.scheme === 'digest' ? (id.id.split(':')[0] ?? '') : id.id }));
}

export type ReadOp = { readonly op: 'getData'; readonly path: string } | { readonly op: 'getChildren'; readonly path: string };
export type MultiReadResult =
  | { readonly type: 'getData'; readonly data: Data; readonly stat: Stat }
  | { readonly type: 'getChildren'; readonly children: string[] }
  | { readonly type: 'error'; readonly err: ErrorCode };

/** multiRead: each op on its own, never all-or-nothing. */
export function multiRead(tree: Tree, ops: readonly ReadOp[], auth: readonly Id[]): MultiReadResult[] {
  return ops.map((o): MultiReadResult => {
    if (o.op === 'getData') {
      const r = getData(tree, o.path, auth);
      return r.ok ? { type: 'getData', ...r.value } : { type: 'error', err: r.err };
    }
    const r = getChildren(tree, o.path, auth);
    return r.ok ? { type: 'getChildren', children: r.value.children } : { type: 'error', err: r.err };
  });
}

/**
 * TREE-7, TREE-8: the nodes the leader should now delete (with deleteContainer): childless
 * containers that have had a child (or, with maxNeverUsedMs > 0, have waited that long), and
 * childless TTL nodes unmodified for longer than their TTL.
 */
export function expiredNodes(tree: Tree, now: number, maxNeverUsedMs = 0): string[] {
  const out: string[] = [];
  for (const [path, n] of tree.nodes) {
    if (n.children.size > 0) continue;
    if (n.kind.type === 'container') {
      if (n.childCreates > 0 || (maxNeverUsedMs !== 0 && now - n.mtime > maxNeverUsedMs)) out.push(path);
    } else if (n.kind.type === 'ttl' && n.kind.ttl !== 0 && now - n.mtime > n.kind.ttl) out.push(path);
  }
  return out.sort();
}
