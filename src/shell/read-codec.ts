// Reads between the wire and the server's reducer: a decoded request as the reducer's ReadAsk, and
// its ReadResult as a reply frame. Codec only: the reducer (src/server/reads.ts) answers them.
import type { ReadAsk, ReadResult } from '../server/index.ts';
import type { MultiResult } from '../wire/multi.ts';
import { encodeError, encodeMultiReply, encodeReply, type Request } from '../wire/protocol.ts';
import { ERROR_OP } from '../wire/records.ts';
import { wireStat } from './requests.ts';

/** The reducer's read for a request that is neither a write, a reconfig nor a sync, auth or SASL; null: no such read. */
export function readAsk(r: Request): ReadAsk | null {
  switch (r.op) {
    case 'exists':
    case 'getData':
    case 'getChildren':
    case 'getChildren2':
      return { op: r.op, path: r.path, watch: r.watch };
    case 'getACL':
    case 'getAllChildrenNumber':
      return { op: r.op, path: r.path };
    case 'getEphemerals':
      return { op: 'getEphemerals', prefixPath: r.prefixPath };
    case 'whoAmI':
    case 'ping':
      return { op: r.op };
    case 'multiRead':
      return { op: 'multiRead', ops: r.ops.map((o) => ({ type: o.type, path: 'path' in o.body ? o.body.path : '', watch: 'watch' in o.body ? o.body.watch : false })) };
    case 'addWatch':
      return { op: 'addWatch', path: r.path, mode: r.mode };
    case 'checkWatches':
    case 'removeWatches':
      return { op: r.op, path: r.path, type: r.type };
    case 'setWatches':
    case 'setWatches2':
      return {
        op: 'setWatches',
        relativeZxid: Number(r.relativeZxid),
        lists: {
          data: r.dataWatches,
          exist: r.existWatches,
          child: r.childWatches,
          persistent: r.op === 'setWatches2' ? r.persistentWatches : [],
          persistentRecursive: r.op === 'setWatches2' ? r.persistentRecursiveWatches : [],
        },
      };
    default:
      return null;
  }
}

/** The reply frame for a read's result. */
export function encodeRead(xid: number, zxid: number, r: ReadResult): Uint8Array {
  const z = BigInt(zxid);
  switch (r.op) {
    case 'error':
      return encodeError(xid, z, r.err);
    case 'exists':
      return encodeReply(xid, z, 'exists', { stat: wireStat(r.stat) });
    case 'getData':
      return encodeReply(xid, z, 'getData', { data: r.data, stat: wireStat(r.stat) });
    case 'getChildren':
      return encodeReply(xid, z, 'getChildren', { children: [...r.children] });
    case 'getChildren2':
      return encodeReply(xid, z, 'getChildren2', { children: [...r.children], stat: wireStat(r.stat) });
    case 'getACL':
      return encodeReply(xid, z, 'getACL', { acl: [...r.acl], stat: wireStat(r.stat) });
    case 'getAllChildrenNumber':
      return encodeReply(xid, z, 'getAllChildrenNumber', { totalNumber: r.totalNumber });
    case 'getEphemerals':
      return encodeReply(xid, z, 'getEphemerals', { ephemerals: [...r.ephemerals] });
    case 'whoAmI':
      return encodeReply(xid, z, 'whoAmI', { clientInfo: r.clientInfo.map((c) => ({ authScheme: c.scheme, user: c.user })) });
    case 'multiRead': {
      const results = r.results.map((m): MultiResult => {
        if (m.type === 'getData') return { type: 4, body: { data: m.data, stat: wireStat(m.stat) } };
        if (m.type === 'getChildren') return { type: 8, body: { children: m.children } };
        return { type: ERROR_OP, body: { err: m.err } };
      });
      return encodeMultiReply(xid, z, results);
    }
    case 'addWatch':
      return encodeReply(xid, z, 'addWatch', { err: 0 });
    case 'setWatches':
      return encodeReply(xid, z, 'setWatches', {});
    case 'ping':
    case 'checkWatches':
    case 'removeWatches':
      return encodeReply(xid, z, r.op, {});
  }
}
