// Between the wire and the tree: which client requests are writes (and the tree's WriteOp for
// each), and the reply frame for a write's result.
import { Code, type OpResult, type Stat, type WriteOp } from '../tree/index.ts';
import type { MultiOp, MultiResult } from '../wire/multi.ts';
import { encodeError, encodeMultiReply, encodeReply, type Request } from '../wire/protocol.ts';
import { ERROR_OP, type WireStat } from '../wire/records.ts';

export function wireStat(s: Stat): WireStat {
  return {
    czxid: BigInt(s.czxid),
    mzxid: BigInt(s.mzxid),
    ctime: BigInt(s.ctime),
    mtime: BigInt(s.mtime),
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: s.ephemeralOwner,
    dataLength: s.dataLength,
    numChildren: s.numChildren,
    pzxid: BigInt(s.pzxid),
  };
}

const CREATE_OPS = { 1: 'create', 15: 'create2', 19: 'createContainer', 21: 'createTTL' } as const;

/** A multi's op as the tree's WriteOp; reads inside a multi are refused (BadArguments). */
function multiOpOf(o: MultiOp): WriteOp | undefined {
  switch (o.type) {
    case 1:
    case 15:
    case 19:
      return { op: CREATE_OPS[o.type], path: o.body.path, data: o.body.data, acl: o.body.acl, flags: o.body.flags };
    case 21:
      return { op: 'createTTL', path: o.body.path, data: o.body.data, acl: o.body.acl, flags: o.body.flags, ttl: Number(o.body.ttl) };
    case 2:
      return { op: 'delete', path: o.body.path, version: o.body.version };
    case 13:
      return { op: 'check', path: o.body.path, version: o.body.version };
    case 5:
      return { op: 'setData', path: o.body.path, data: o.body.data, version: o.body.version };
    case 4:
    case 8:
      return undefined;
  }
}

/**
 * The write a request asks for, `undefined` for anything else (reads, watches, session
 * housekeeping), or 'badArguments' for a multi that mixes in reads.
 */
export function writeOf(r: Request): WriteOp | 'badArguments' | undefined {
  switch (r.op) {
    case 'create':
    case 'create2':
    case 'createContainer':
      return { op: r.op, path: r.path, data: r.data, acl: r.acl, flags: r.flags };
    case 'createTTL':
      return { op: 'createTTL', path: r.path, data: r.data, acl: r.acl, flags: r.flags, ttl: Number(r.ttl) };
    case 'delete':
      return { op: 'delete', path: r.path, version: r.version };
    case 'deleteContainer':
      return { op: 'deleteContainer', path: r.path };
    case 'setData':
      return { op: 'setData', path: r.path, data: r.data, version: r.version };
    case 'setACL':
      return { op: 'setACL', path: r.path, acl: r.acl, version: r.version };
    case 'check':
      return { op: 'check', path: r.path, version: r.version };
    case 'closeSession':
      return { op: 'closeSession' };
    case 'multi': {
      const ops = r.ops.map(multiOpOf);
      return ops.every((o) => o !== undefined) ? { op: 'multi', ops: ops as WriteOp[] } : 'badArguments';
    }
    default:
      return undefined;
  }
}

function multiResultOf(r: OpResult): MultiResult {
  switch (r.type) {
    case 'create':
      return r.stat ? { type: 15, body: { path: r.path, stat: wireStat(r.stat) } } : { type: 1, body: { path: r.path } };
    case 'delete':
      return { type: 2 };
    case 'check':
      return { type: 13 };
    case 'setData':
      return { type: 5, body: { stat: wireStat(r.stat) } };
    case 'error':
      return { type: ERROR_OP, body: { err: r.err } };
    default:
      return { type: ERROR_OP, body: { err: Code.RuntimeInconsistency } }; // not an op a multi carries
  }
}

/** The reply frame for a committed write's result. */
export function writeReply(xid: number, zxid: bigint, result: OpResult): Uint8Array {
  switch (result.type) {
    case 'create':
      return result.stat ? encodeReply(xid, zxid, 'create2', { path: result.path, stat: wireStat(result.stat) }) : encodeReply(xid, zxid, 'create', { path: result.path });
    case 'setData':
    case 'setACL':
      return encodeReply(xid, zxid, 'setData', { stat: wireStat(result.stat) });
    case 'delete':
    case 'check':
    case 'closeSession':
    case 'createSession':
      return encodeReply(xid, zxid, 'delete', {});
    case 'multi':
      return encodeMultiReply(xid, zxid, result.results.map(multiResultOf));
    case 'error':
      // TREE-21: a failed multi answers OK with one error result per op.
      if (result.results) return encodeMultiReply(xid, zxid, result.results.map((err) => ({ type: ERROR_OP, body: { err } })));
      return encodeError(xid, zxid, result.err);
  }
}
