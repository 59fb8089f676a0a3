// Reads and watches at one server (spec/server.md SERVER-12; the tree's TREE-22 and WATCH-1..10):
// a request that changes nothing replicated is answered from this server's committed tree and its
// watch table (by connection), in the connection's order — after the writes that came before it on
// that connection — and a delivered txn's watch events go out before the reply that follows them.
import {
  addWatch,
  afterRead,
  authenticate,
  Code,
  dataLength,
  dropWatcher,
  emptyWatches,
  exists,
  getAcl,
  getAllChildrenNumber,
  getChildren,
  getData,
  getEphemerals,
  hasWatch,
  isWatcherType,
  multiRead,
  readableBy,
  removeWatches,
  setWatches,
  trigger,
  whoAmI,
  type Id,
  type Notification,
  type ReadOp,
  type TreeEvent,
} from '../tree/index.ts';
import { configText } from './membership.ts';
import type { ConnId, Queued, ReadAsk, ReadResult, ServerEffect, ServerState, Stepped } from './types.ts';
import { done } from './stepped.ts';

/** ZooKeeper's ReconfigDisabled: dynamic reconfiguration is off (reconfigEnabled=false). */
const RECONFIG_DISABLED = -123;

/** SERVER-12: a read on `conn`: answered now, or after the writes still pending before it there. */
export function read(s: ServerState, conn: ConnId, ref: number, ask: ReadAsk, auth: readonly Id[]): Stepped {
  const c = s.conns.get(conn);
  if (!c) return done(s, { type: 'dropped', ref });
  // mutant read-ahead: a read answered at once, before the writes sent ahead of it (INV-26)
  if (c.queue.size > 0 && s.config.deviation !== 'read-ahead') return done({ ...s, conns: s.conns.set(conn, { ...c, queue: c.queue.push({ kind: 'read', ref, ask, auth }) }) });
  return serve(s, conn, ref, ask, auth);
}

/** SERVER-12: a write or sync of `conn` waits for its answer; the reads after it wait too. */
export function queueWrite(s: ServerState, conn: ConnId, ref: number): ServerState {
  const c = s.conns.get(conn);
  return c ? { ...s, conns: s.conns.set(conn, { ...c, queue: c.queue.push({ kind: 'write', ref }) }), asked: s.asked.set(ref, conn) } : s;
}

/** SERVER-12: `ref` is answered: the reads queued behind it, up to the next pending write, are answered next. */
export function answered(s: ServerState, ref: number): Stepped {
  const conn = s.asked.get(ref);
  if (conn === undefined) return done(s);
  let state: ServerState = { ...s, asked: s.asked.delete(ref) };
  const c = state.conns.get(conn);
  if (!c) return done(state);
  // Refs are unique in a queue and a connection's writes are mostly answered in order: the head
  // is then the one to drop, without rebuilding the list.
  const head = c.queue.first();
  let queue = head !== undefined && head.kind !== 'read' && head.ref === ref ? c.queue.shift() : c.queue.filter((q) => q.kind === 'read' || q.ref !== ref);
  const effects: ServerEffect[] = [];
  const ready: Queued[] = [];
  for (let q = queue.first(); q !== undefined && q.kind !== 'write'; q = queue.first()) {
    ready.push(q);
    queue = queue.shift();
  }
  state = { ...state, conns: state.conns.set(conn, { ...c, queue }) };
  for (const r of ready) {
    if (r.kind !== 'read') {
      // SERVER-11: a sync's turn came; its reply carries what is delivered now
      state = { ...state, asked: state.asked.delete(r.ref) };
      effects.push({ type: 'synced', ref: r.ref, zxid: state.lastZxid });
      continue;
    }
    const out = serve(state, conn, r.ref, r.ask, r.auth);
    state = out.state;
    effects.push(...(out.effects as ServerEffect[]));
  }
  return { state, effects };
}

/**
 * SERVER-11, SERVER-12: a sync that could be answered now but has writes pending before it on its
 * connection waits for them, so that its reply's zxid is not older than theirs. Returns the state
 * with the sync waiting, or null if it is first in line (answer it now).
 */
export function syncWaits(s: ServerState, ref: number, conn: ConnId | undefined = s.asked.get(ref)): ServerState | null {
  const c = conn === undefined ? undefined : s.conns.get(conn);
  if (conn === undefined || !c || c.queue.size === 0) return null;
  const at = c.queue.findIndex((q) => q.kind !== 'read' && q.ref === ref);
  if (at === 0) return null;
  const queue = at < 0 ? c.queue.push({ kind: 'synced', ref }) : c.queue.set(at, { kind: 'synced', ref });
  return { ...s, conns: s.conns.set(conn, { ...c, queue }), asked: s.asked.set(ref, conn) };
}

/** WATCH-2, SERVER-12: a delivered txn's events, as notifications to the connections watching. */
export function fire(s: ServerState, events: readonly TreeEvent[]): Stepped {
  if (events.length === 0 || (s.watches.data.size === 0 && s.watches.child.size === 0)) return done(s);
  const fired = trigger(s.watches, events, readableBy((c: ConnId) => s.auths.get(c) ?? []));
  return { state: { ...s, watches: fired.table }, effects: fired.notifications.map(notify) };
}

/** WATCH-7: a connection's ids changed (addAuth, SASL): its watches hear what those may read. */
export function authChanged(s: ServerState, conn: ConnId, auth: readonly Id[]): Stepped {
  return done(s.auths.has(conn) ? { ...s, auths: s.auths.set(conn, auth) } : s);
}

/** ACL-2: an addAuth adds the ids its credentials give to the connection's; a failure answers AuthFailed. */
export function addAuth(s: ServerState, conn: ConnId, scheme: string, auth: string, held: readonly Id[]): Stepped {
  // x509 takes no credentials: ZooKeeper checks the connection's certificate again, so it passes
  // exactly when the TLS handshake already gave this connection an x509 id.
  const got = scheme === 'x509' ? (held.some((a) => a.scheme === 'x509') ? [] : Code.AuthFailed) : authenticate(scheme, auth, s.config.superDigest);
  if (typeof got === 'number') return done(s, { type: 'auth-failed', conn, err: got });
  const ids = [...held, ...got.filter((id) => !held.some((a) => a.scheme === id.scheme && a.id === id.id))];
  const r = authChanged(s, conn, ids);
  return { state: r.state, effects: [{ type: 'authed', conn, ids }] };
}

/** A connection gone (closed, or its session closed): its watches go with it (its held reads went with its entry). */
export function forgetConn(s: ServerState, conn: ConnId): ServerState {
  if (!s.auths.has(conn)) return s; // it watches nothing (a watcher's ids are kept)
  return { ...s, watches: dropWatcher(s.watches, conn), auths: s.auths.delete(conn) };
}

/** Every connection gone (SERVER-1: a role change). */
export function forgetAll(s: ServerState): ServerState {
  return { ...s, watches: emptyWatches(), auths: s.auths.clear(), asked: s.asked.clear() };
}

const notify = (n: Notification<ConnId>): ServerEffect => ({ type: 'notify', conn: n.watcher, event: n.type, path: n.path });

/** The answer to one read against the committed tree; the watches it leaves (WATCH-1, -4, -9, -10). */
function serve(s: ServerState, conn: ConnId, ref: number, ask: ReadAsk, auth: readonly Id[]): Stepped {
  const { tree } = s;
  let watches = s.watches;
  const effects: ServerEffect[] = [];
  const watchAfter = (kind: 'exists' | 'getData' | 'getChildren', path: string, watch: boolean, err: number) => {
    if (watch) watches = afterRead(watches, conn, kind, path, err as 0);
  };
  const result = ((): ReadResult => {
    const error = (err: number): ReadResult => ({ op: 'error', err });
    switch (ask.op) {
      case 'exists': {
        const r = exists(tree, ask.path, auth, s.config.existsChecksAcl ?? true);
        watchAfter('exists', ask.path, ask.watch, r.ok ? 0 : r.err);
        return r.ok ? { op: 'exists', stat: r.value } : error(r.err);
      }
      case 'getData': {
        const r = getData(tree, ask.path, auth);
        watchAfter('getData', ask.path, ask.watch, r.ok ? 0 : r.err);
        if (!r.ok) return error(r.err);
        // SERVER-14: /zookeeper/config shows this server's configuration until a reconfig writes one there.
        if (ask.path === '/zookeeper/config' && dataLength(r.value.data) === 0 && s.config.members.length > 1) {
          const data = new TextEncoder().encode(configText(s.membership));
          return { op: 'getData', data, stat: { ...r.value.stat, dataLength: data.length } };
        }
        return { op: 'getData', data: r.value.data, stat: r.value.stat };
      }
      case 'getChildren':
      case 'getChildren2': {
        const r = getChildren(tree, ask.path, auth);
        watchAfter('getChildren', ask.path, ask.watch, r.ok ? 0 : r.err);
        if (!r.ok) return error(r.err);
        return ask.op === 'getChildren' ? { op: 'getChildren', children: r.value.children } : { op: 'getChildren2', children: r.value.children, stat: r.value.stat };
      }
      case 'getACL': {
        const r = getAcl(tree, ask.path, auth);
        return r.ok ? { op: 'getACL', acl: r.value.acl, stat: r.value.stat } : error(r.err);
      }
      case 'getAllChildrenNumber': {
        const r = getAllChildrenNumber(tree, ask.path, auth);
        return r.ok ? { op: 'getAllChildrenNumber', totalNumber: r.value } : error(r.err);
      }
      case 'getEphemerals':
        return { op: 'getEphemerals', ephemerals: getEphemerals(tree, s.conns.get(conn)?.session ?? 0n, ask.prefixPath) };
      case 'whoAmI':
        return { op: 'whoAmI', clientInfo: whoAmI(auth) };
      case 'multiRead': {
        const ops = ask.ops.flatMap((o): (ReadOp & { watch: boolean })[] => (o.type === 4 || o.type === 8 ? [{ op: o.type === 4 ? 'getData' : 'getChildren', path: o.path, watch: o.watch }] : []));
        if (ops.length !== ask.ops.length) return error(Code.BadArguments);
        const results = multiRead(tree, ops, auth);
        results.forEach((m, i) => watchAfter(ops[i]!.op, ops[i]!.path, ops[i]!.watch, m.type === 'error' ? m.err : 0));
        return { op: 'multiRead', results };
      }
      case 'ping':
        return { op: 'ping' };
      case 'addWatch':
        if (ask.mode !== 0 && ask.mode !== 1) return error(Code.MarshallingError); // WATCH-4: no such mode to decode
        watches = addWatch(watches, conn, ask.path, ask.mode);
        return { op: 'addWatch' };
      case 'checkWatches':
        if (!isWatcherType(ask.type)) return error(Code.MarshallingError); // WATCH-9: ZooKeeper fails to decode the type
        return hasWatch(watches, ask.path, ask.type) ? { op: 'checkWatches' } : error(Code.NoWatcher);
      case 'removeWatches': {
        if (!isWatcherType(ask.type)) return error(Code.MarshallingError);
        const t = removeWatches(watches, conn, ask.path, ask.type);
        if (typeof t === 'number') return error(t);
        watches = t;
        return { op: 'removeWatches' };
      }
      case 'setWatches': {
        const out = setWatches(tree, watches, conn, ask.relativeZxid, ask.lists);
        watches = out.table;
        effects.push(...out.notifications.map(notify));
        return { op: 'setWatches' };
      }
      case 'reconfig':
        // SERVER-14: a reconfig this server does not take: ReconfigDisabled when reconfigEnabled=false, as ZooKeeper.
        return error(s.config.reconfigEnabled ? Code.Unimplemented : RECONFIG_DISABLED);
    }
  })();
  // WATCH-7: a watcher hears an event only if its ids may read the node; the ids it has now (addAuth updates them).
  const auths = watches !== s.watches ? s.auths.set(conn, auth) : s.auths;
  effects.push({ type: 'read-reply', ref, zxid: s.lastZxid, result });
  return { state: watches === s.watches && auths === s.auths ? s : { ...s, watches, auths }, effects };
}
