// Apache's logged txns as zabkit's txns, and back: a create's kind from its record type and
// ephemeral flag (the owner is the txn's session), the parent's child-create count (Apache's
// parentCVersion), a failed multi as zabkit's error txn with every op's code.
import { Code, type ErrorCode, type NodeKind, type SessionId, type Tree, type Txn, type TxnOp } from '../tree/index.ts';
import { parentOf } from '../tree/path.ts';
import { OP } from './apache-format.ts';
import { ConversionError, timeNumber, zxidNumber } from './apache-tree.ts';
import type { ApacheBody, ApacheTxn } from './apache-txn.ts';

/** An Apache log entry as zabkit's txn; `tree` is the tree it applies to (for a pre-3.3 create). */
export function txnOfApache(t: ApacheTxn, tree: Tree): Txn {
  const h = t.header;
  const zxid = zxidNumber(h.zxid, `txn at zxid 0x${h.zxid.toString(16)}`);
  const op = opOf(t.body, h.clientId, tree);
  return { zxid, time: timeNumber(h.time, `txn 0x${h.zxid.toString(16)}`), session: h.clientId, op };
}

function opOf(b: ApacheBody, session: SessionId, tree: Tree): TxnOp {
  switch (b.type) {
    case 'create':
    case 'create2': {
      const parentCreates = b.parentCVersion === -1 ? (tree.nodes.get(parentOf(b.path))?.childCreates ?? 0) + 1 : b.parentCVersion;
      const kind: NodeKind = b.ephemeral ? { type: 'ephemeral', owner: session } : { type: 'persistent' };
      return { type: 'create', path: b.path, data: b.data, acl: b.acl, kind, parentCreates, withStat: b.type === 'create2' };
    }
    case 'createContainer':
      return { type: 'create', path: b.path, data: b.data, acl: b.acl, kind: { type: 'container' }, parentCreates: b.parentCVersion, withStat: true };
    case 'createTTL':
      return { type: 'create', path: b.path, data: b.data, acl: b.acl, kind: { type: 'ttl', ttl: Number(b.ttl) }, parentCreates: b.parentCVersion, withStat: true };
    case 'delete':
    case 'deleteContainer':
      return { type: 'delete', path: b.path };
    case 'setData':
    case 'reconfig':
      return { type: 'setData', path: b.path, data: b.data, version: b.version };
    case 'setACL':
      return { type: 'setACL', path: b.path, acl: b.acl, aversion: b.version };
    case 'check':
      return { type: 'check', path: b.path };
    case 'createSession':
      return { type: 'createSession', timeout: b.timeout };
    case 'closeSession':
      return { type: 'closeSession', paths: b.paths ?? [] };
    case 'error':
      return { type: 'error', err: b.err as ErrorCode };
    case 'multi': {
      if (!b.txns.some((s) => s.type === 'error')) {
        const ops = b.txns.map((s) => opOf(s, session, tree));
        return { type: 'multi', ops: ops.map((o) => (o.type === 'create' && o.kind.type !== 'container' && o.kind.type !== 'ttl' ? { ...o, withStat: false } : o)) };
      }
      // A failed multi (TREE-23): OK before the failure, its code, RuntimeInconsistency after.
      let failed = false;
      const results = b.txns.map((s): ErrorCode => {
        if (s.type === 'error') {
          failed ||= s.err !== 0;
          return s.err as ErrorCode;
        }
        return failed ? Code.RuntimeInconsistency : Code.OK;
      });
      return { type: 'error', err: results.find((c) => c !== 0) ?? Code.OK, results };
    }
  }
}

/** zabkit's txn as an Apache log entry (cxid unknown to zabkit: 0). */
export function apacheOfTxn(t: Txn, cxid = 0): ApacheTxn {
  const body = bodyOf(t.op, t.session, true);
  return { header: { clientId: t.session, cxid, zxid: BigInt(t.zxid), time: BigInt(t.time), type: OP[body.type] }, body };
}

function bodyOf(op: TxnOp, session: SessionId, top: boolean): ApacheBody {
  switch (op.type) {
    case 'create': {
      const k = op.kind;
      if (k.type === 'container') return { type: 'createContainer', path: op.path, data: op.data, acl: op.acl, parentCVersion: op.parentCreates };
      if (k.type === 'ttl') return { type: 'createTTL', path: op.path, data: op.data, acl: op.acl, parentCVersion: op.parentCreates, ttl: BigInt(k.ttl) };
      if (k.type === 'ephemeral' && k.owner !== session) throw new ConversionError(`create ${op.path}: an ephemeral owned by another session than the txn's, which Apache's CreateTxn cannot say`);
      return { type: top && op.withStat ? 'create2' : 'create', path: op.path, data: op.data, acl: op.acl, ephemeral: k.type === 'ephemeral', parentCVersion: op.parentCreates };
    }
    case 'delete':
      return { type: 'delete', path: op.path };
    case 'setData':
      return { type: 'setData', path: op.path, data: op.data, version: op.version };
    case 'setACL':
      return { type: 'setACL', path: op.path, acl: op.acl, version: op.aversion };
    case 'check':
      return { type: 'check', path: op.path, version: -1 }; // zabkit's txn does not keep the version checked
    case 'createSession':
      return { type: 'createSession', timeout: op.timeout };
    case 'closeSession':
      return { type: 'closeSession', paths: op.paths };
    case 'multi':
      return { type: 'multi', txns: op.ops.map((o) => bodyOf(o, session, false)) };
    case 'error':
      if (!op.results) return { type: 'error', err: op.err };
      return { type: 'multi', txns: op.results.map((err) => ({ type: 'error', err })) };
  }
}
