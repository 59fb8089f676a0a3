// Requests a server answers from its own committed tree and watch table (TREE-22, WATCH-1,
// WATCH-4, WATCH-9, WATCH-10): reads, sync, ping, and watch registration.
import {
  addWatch,
  afterRead,
  Code,
  dataLength,
  exists,
  getAcl,
  getAllChildrenNumber,
  getChildren,
  getData,
  getEphemerals,
  hasWatch,
  isWatcherType,
  multiRead,
  removeWatches,
  setWatches,
  whoAmI,
  type Notification,
  type Tree,
  type WatchTable,
} from '../tree/index.ts';
import type { MultiResult } from '../wire/multi.ts';
import { encodeError, encodeMultiReply, encodeReply, type Request } from '../wire/protocol.ts';
import { ERROR_OP } from '../wire/records.ts';
import type { Connection } from './connection.ts';
import { wireStat } from './requests.ts';

/** ZooKeeper's ReconfigDisabled: dynamic reconfiguration is off (reconfigEnabled=false). */
const RECONFIG_DISABLED = -123;

export interface ReadContext {
  readonly tree: Tree;
  /**
   * The configuration this server runs with, as /zookeeper/config shows it until a reconfig writes
   * one there (ZooKeeper shows each server's own view of it; null: standalone, nothing to show).
   */
  readonly configText: () => Uint8Array | null;
  /** reconfigEnabled: picks the refusal of a reconfig this server does not take. */
  readonly reconfigEnabled: boolean;
  /** exists checks READ (ZooKeeper 3.8.4 and later; zabkit.compat). */
  readonly existsChecksAcl: boolean;
  readonly zxid: bigint;
  watches: WatchTable<Connection>;
  /** Notifications a setWatches owes right away. */
  notify(ns: readonly Notification<Connection>[]): void;
}

/** The reply to a non-write request, computed when its turn in the connection's order comes. */
export function serveRead(ctx: ReadContext, conn: Connection, xid: number, r: Request): Uint8Array | null {
  const { tree, zxid } = ctx;
  const auth = conn.auth;
  const fail = (err: number) => encodeError(xid, zxid, err);
  const watchAfter = (kind: 'exists' | 'getData' | 'getChildren', path: string, watch: boolean, err: number) => {
    if (watch) ctx.watches = afterRead(ctx.watches, conn, kind, path, err as 0);
  };
  switch (r.op) {
    case 'exists': {
      const s = exists(tree, r.path, auth, ctx.existsChecksAcl);
      watchAfter('exists', r.path, r.watch, s.ok ? 0 : s.err);
      return s.ok ? encodeReply(xid, zxid, 'exists', { stat: wireStat(s.value) }) : fail(s.err);
    }
    case 'getData': {
      const d = getData(tree, r.path, auth);
      watchAfter('getData', r.path, r.watch, d.ok ? 0 : d.err);
      if (!d.ok) return fail(d.err);
      const shown = r.path === '/zookeeper/config' && dataLength(d.value.data) === 0 ? ctx.configText() : null;
      if (shown) return encodeReply(xid, zxid, 'getData', { data: shown, stat: { ...wireStat(d.value.stat), dataLength: shown.length } });
      return encodeReply(xid, zxid, 'getData', { data: d.value.data, stat: wireStat(d.value.stat) });
    }
    case 'getChildren':
    case 'getChildren2': {
      const c = getChildren(tree, r.path, auth);
      watchAfter('getChildren', r.path, r.watch, c.ok ? 0 : c.err);
      if (!c.ok) return fail(c.err);
      return r.op === 'getChildren'
        ? encodeReply(xid, zxid, 'getChildren', { children: c.value.children })
        : encodeReply(xid, zxid, 'getChildren2', { children: c.value.children, stat: wireStat(c.value.stat) });
    }
    case 'getACL': {
      const a = getAcl(tree, r.path, auth);
      return a.ok ? encodeReply(xid, zxid, 'getACL', { acl: [...a.value.acl], stat: wireStat(a.value.stat) }) : fail(a.err);
    }
    case 'getAllChildrenNumber': {
      const n = getAllChildrenNumber(tree, r.path, auth);
      return n.ok ? encodeReply(xid, zxid, 'getAllChildrenNumber', { totalNumber: n.value }) : fail(n.err);
    }
    case 'getEphemerals':
      return encodeReply(xid, zxid, 'getEphemerals', { ephemerals: getEphemerals(tree, conn.session ?? 0n, r.prefixPath) });
    case 'whoAmI':
      return encodeReply(xid, zxid, 'whoAmI', { clientInfo: whoAmI(auth).map((c) => ({ authScheme: c.scheme, user: c.user })) });
    case 'multiRead': {
      const ops = r.ops.flatMap((o) => (o.type === 4 || o.type === 8 ? [{ op: o.type === 4 ? ('getData' as const) : ('getChildren' as const), path: o.body.path, watch: o.body.watch }] : []));
      if (ops.length !== r.ops.length) return fail(Code.BadArguments);
      const results = multiRead(tree, ops, auth).map((m, i): MultiResult => {
        const o = ops[i]!;
        watchAfter(o.op, o.path, o.watch, m.type === 'error' ? m.err : 0);
        if (m.type === 'getData') return { type: 4, body: { data: m.data, stat: wireStat(m.stat) } };
        if (m.type === 'getChildren') return { type: 8, body: { children: m.children } };
        return { type: ERROR_OP, body: { err: m.err } };
      });
      return encodeMultiReply(xid, zxid, results);
    }
    case 'sync':
      // A single server has applied everything it acknowledged: the path comes straight back.
      return encodeReply(xid, zxid, 'sync', { path: r.path });
    case 'ping':
      return encodeReply(xid, zxid, 'ping', {});
    case 'addWatch':
      if (r.mode !== 0 && r.mode !== 1) return fail(Code.MarshallingError); // WATCH-4: no such mode to decode
      ctx.watches = addWatch(ctx.watches, conn, r.path, r.mode);
      return encodeReply(xid, zxid, 'addWatch', { err: 0 });
    case 'checkWatches':
      if (!isWatcherType(r.type)) return fail(Code.MarshallingError); // WATCH-9: ZooKeeper fails to decode the type
      return hasWatch(ctx.watches, r.path, r.type) ? encodeReply(xid, zxid, 'checkWatches', {}) : fail(Code.NoWatcher);
    case 'removeWatches': {
      if (!isWatcherType(r.type)) return fail(Code.MarshallingError);
      const t = removeWatches(ctx.watches, conn, r.path, r.type);
      if (typeof t === 'number') return fail(t);
      ctx.watches = t;
      return encodeReply(xid, zxid, 'removeWatches', {});
    }
    case 'setWatches':
    case 'setWatches2': {
      const lists = {
        data: r.dataWatches,
        exist: r.existWatches,
        child: r.childWatches,
        persistent: r.op === 'setWatches2' ? r.persistentWatches : [],
        persistentRecursive: r.op === 'setWatches2' ? r.persistentRecursiveWatches : [],
      };
      const out = setWatches(tree, ctx.watches, conn, Number(r.relativeZxid), lists);
      ctx.watches = out.table;
      ctx.notify(out.notifications);
      return encodeReply(xid, zxid, 'setWatches', {});
    }
    case 'reconfig':
      // Only reaches here when the server does not take it (server.ts): reconfigEnabled=false
      // answers ReconfigDisabled, as ZooKeeper; a standalone server has no ensemble to change.
      return fail(ctx.reconfigEnabled ? Code.Unimplemented : RECONFIG_DISABLED);
    default:
      return fail(Code.Unimplemented);
  }
}
