// Watches: one server's table of who watches what (WATCH-1..10). Not replicated; pure: each
// function returns a new table and the notifications to send, in order.
import { Map as IMap } from 'immutable';
import { allowed } from './acl.ts';
import { Code, type ErrorCode, EventType, Perms, WatcherType } from './codes.ts';
import { parentOf } from './path.ts';
import type { Acl, Id, Tree, TreeEvent, Zxid } from './types.ts';

export type WatchMode = 'standard' | 'persistent' | 'recursive';
type PathTable<W> = IMap<string, IMap<W, WatchMode>>;

export interface WatchTable<W> {
  readonly data: PathTable<W>;
  readonly child: PathTable<W>;
  /** How many recursive registrations exist, in either table: without any, a trigger looks at its path only. */
  readonly recursive: number;
}

export interface Notification<W> {
  readonly watcher: W;
  readonly type: EventType;
  readonly path: string;
}

export const emptyWatches = <W>(): WatchTable<W> => ({ data: IMap(), child: IMap(), recursive: 0 });

function put<W>(t: PathTable<W>, path: string, w: W, mode: WatchMode): PathTable<W> {
  return t.set(path, (t.get(path) ?? IMap<W, WatchMode>()).set(w, mode));
}

/** The change in recursive registrations when (path, w) goes from `before` to `after` in one table. */
const recursiveDelta = (before: WatchMode | undefined, after: WatchMode | undefined): number =>
  (after === 'recursive' ? 1 : 0) - (before === 'recursive' ? 1 : 0);

/**
 * Set (path, w)'s mode in one table. The tables keep a mode each: a standard watch set over a
 * recursive one downgrades it in that table only (ZooKeeper 3.8's two WatchManagers), so after
 * addWatch(/p, 1) and exists(/p, watch) the child table still fires for /p's descendants.
 */
function putIn<W>(t: WatchTable<W>, which: 'data' | 'child', path: string, w: W, mode: WatchMode): WatchTable<W> {
  const before = t[which].get(path)?.get(w);
  return { ...t, [which]: put(t[which], path, w, mode), recursive: t.recursive + recursiveDelta(before, mode) };
}

/** WATCH-1: exists and getData set data watches, getChildren child watches. */
export function addDataWatch<W>(t: WatchTable<W>, w: W, path: string): WatchTable<W> {
  return putIn(t, 'data', path, w, 'standard');
}
export function addChildWatch<W>(t: WatchTable<W>, w: W, path: string): WatchTable<W> {
  return putIn(t, 'child', path, w, 'standard');
}

/** WATCH-4, WATCH-5: addWatch mode 0 (persistent) or 1 (persistent recursive); both tables, as ZooKeeper 3.8. */
export function addWatch<W>(t: WatchTable<W>, w: W, path: string, mode: 0 | 1): WatchTable<W> {
  const m: WatchMode = mode === 1 ? 'recursive' : 'persistent';
  return putIn(putIn(t, 'data', path, w, m), 'child', path, w, m);
}

/**
 * WATCH-1: what a read leaves behind. exists sets a data watch even when the node is missing;
 * the other reads only when they succeeded.
 */
export function afterRead<W>(
  t: WatchTable<W>,
  w: W,
  read: 'exists' | 'getData' | 'getChildren',
  path: string,
  err: ErrorCode | 0,
): WatchTable<W> {
  if (read === 'exists' && (err === 0 || err === Code.NoNode)) return addDataWatch(t, w, path);
  if (err !== 0) return t;
  return read === 'getChildren' ? addChildWatch(t, w, path) : addDataWatch(t, w, path);
}

/** One table, one event: who hears it (into `out`), and the table without the fired one-shots. */
function fire<W>(table: PathTable<W>, path: string, type: EventType, walkUp: boolean, out: Set<W>): PathTable<W> {
  let t = table;
  let p = path;
  let atParent = false;
  for (;;) {
    const ws = t.get(p);
    if (ws) {
      let left = ws;
      for (const [w, mode] of ws) {
        if (mode === 'recursive') {
          if (type !== EventType.NodeChildrenChanged) out.add(w); // WATCH-5
        } else if (!atParent) {
          out.add(w);
          if (mode === 'standard') left = left.remove(w); // WATCH-3
        }
      }
      if (left !== ws) t = left.size === 0 ? t.remove(p) : t.set(p, left);
    }
    if (!walkUp || p === '/') return t;
    p = parentOf(p);
    atParent = true;
  }
}

/**
 * WATCH-2: the notifications a txn's events cause, in order (WATCH-8). canRead says whether a
 * watcher's connection may READ a node with the given ACL (WATCH-7).
 */
export function trigger<W>(
  table: WatchTable<W>,
  events: readonly TreeEvent[],
  canRead: (w: W, acl: readonly Acl[]) => boolean = () => true,
): { table: WatchTable<W>; notifications: Notification<W>[] } {
  let { data, child } = table;
  const walkUp = table.recursive > 0;
  const notifications: Notification<W>[] = [];
  const tell = (ws: Set<W>, e: TreeEvent, except?: Set<W>) => {
    for (const w of ws) if (!except?.has(w) && canRead(w, e.acl)) notifications.push({ watcher: w, type: e.type, path: e.path });
  };
  for (const e of events) {
    if (e.type === EventType.NodeChildrenChanged) {
      const ws = new Set<W>();
      child = fire(child, e.path, e.type, walkUp, ws);
      tell(ws, e);
    } else if (e.type === EventType.NodeDeleted) {
      // WATCH-6: a watcher in both tables hears the delete once.
      const fromData = new Set<W>();
      data = fire(data, e.path, e.type, walkUp, fromData);
      tell(fromData, e);
      const fromChild = new Set<W>();
      child = fire(child, e.path, e.type, walkUp, fromChild);
      tell(fromChild, e, fromData);
    } else {
      const ws = new Set<W>();
      data = fire(data, e.path, e.type, walkUp, ws);
      tell(ws, e);
    }
  }
  // Firing removes only one-shot watches, so the recursive count stays.
  return { table: { ...table, data, child }, notifications };
}

function without<W>(t: PathTable<W>, path: string, w: W): PathTable<W> {
  const ws = t.get(path);
  if (!ws?.has(w)) return t;
  const left = ws.remove(w);
  return left.size === 0 ? t.remove(path) : t.set(path, left);
}

const tablesFor = (type: number): { data: boolean; child: boolean } => ({
  data: type === WatcherType.Data || type === WatcherType.Any,
  child: type === WatcherType.Children || type === WatcherType.Any,
});

/** Whether the connection has a watch on the path in a table of the type (what removeWatches removes). */
function hasOwnWatch<W>(t: WatchTable<W>, w: W, path: string, type: number): boolean {
  const which = tablesFor(type);
  return (which.data && (t.data.get(path)?.has(w) ?? false)) || (which.child && (t.child.get(path)?.has(w) ?? false));
}

/**
 * WATCH-9: checkWatches. As ZooKeeper 3.8 (WatchManager.containsWatcher), it asks whether the
 * path is watched at all in a table of the type, by any connection, not only by the caller.
 */
export function hasWatch<W>(t: WatchTable<W>, path: string, type: number): boolean {
  const which = tablesFor(type);
  return (which.data && t.data.has(path)) || (which.child && t.child.has(path));
}

/** WATCH-9: removeWatches; NoWatcher when nothing matched. */
export function removeWatches<W>(t: WatchTable<W>, w: W, path: string, type: number): WatchTable<W> | ErrorCode {
  if (!hasOwnWatch(t, w, path, type)) return Code.NoWatcher;
  const which = tablesFor(type);
  const dataBefore = which.data ? t.data.get(path)?.get(w) : undefined;
  const childBefore = which.child ? t.child.get(path)?.get(w) : undefined;
  return {
    data: which.data ? without(t.data, path, w) : t.data,
    child: which.child ? without(t.child, path, w) : t.child,
    recursive: t.recursive + recursiveDelta(dataBefore, undefined) + recursiveDelta(childBefore, undefined),
  };
}

/** A closed connection leaves no watch behind. */
export function dropWatcher<W>(t: WatchTable<W>, w: W): WatchTable<W> {
  let recursive = t.recursive;
  const strip = (table: PathTable<W>) => {
    let out = table;
    for (const [path, ws] of table) {
      if (!ws.has(w)) continue;
      recursive += recursiveDelta(ws.get(w), undefined);
      out = without(out, path, w);
    }
    return out;
  };
  return { data: strip(t.data), child: strip(t.child), recursive };
}

export interface WatchLists {
  readonly data: readonly string[];
  readonly exist: readonly string[];
  readonly child: readonly string[];
  readonly persistent: readonly string[];
  readonly persistentRecursive: readonly string[];
}

/** WATCH-10: a reconnecting client's watches, against the last zxid it saw. */
export function setWatches<W>(
  tree: Tree,
  table: WatchTable<W>,
  w: W,
  relZxid: Zxid,
  lists: WatchLists,
): { table: WatchTable<W>; notifications: Notification<W>[] } {
  let t = table;
  const notifications: Notification<W>[] = [];
  const now = (type: EventType, path: string) => notifications.push({ watcher: w, type, path });
  for (const path of lists.data) {
    const n = tree.nodes.get(path);
    if (!n) now(EventType.NodeDeleted, path);
    else if (n.mzxid > relZxid) now(EventType.NodeDataChanged, path);
    else t = addDataWatch(t, w, path);
  }
  for (const path of lists.exist) {
    if (tree.nodes.has(path)) now(EventType.NodeCreated, path);
    else t = addDataWatch(t, w, path);
  }
  for (const path of lists.child) {
    const n = tree.nodes.get(path);
    if (!n) now(EventType.NodeDeleted, path);
    else if (n.pzxid > relZxid) now(EventType.NodeChildrenChanged, path);
    else t = addChildWatch(t, w, path);
  }
  for (const path of lists.persistent) t = addWatch(t, w, path, 0);
  for (const path of lists.persistentRecursive) t = addWatch(t, w, path, 1);
  return { table: t, notifications };
}

/** WATCH-7: a trigger's canRead for connections that hold the ids authOf gives. */
export const readableBy =
  <W>(authOf: (w: W) => readonly Id[]) =>
  (w: W, acl: readonly Acl[]): boolean =>
    allowed(acl, Perms.READ, authOf(w));
