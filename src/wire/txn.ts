// The data tree's txns in binary, for the txn log and the peer protocol: zxid, time, session
// (longs), then the op: an int tag, then its fields in jute encoding; decoding reports damage as
// a value. A txn that carries the leader's tree digest (TREE-27) has WITH_DIGEST set in its op's
// tag and, after the op, int digest version and int digest. Records written before digests
// existed have no such bit and decode as before; a cut anywhere in a new one is still refused.
import { DIGEST_VERSION, type Acl, type ErrorCode, type NodeKind, type Txn, type TxnOp } from '../tree/index.ts';
import { attempt, Reader, WireError, Writer, type Decoded } from './jute.ts';

const TAG = { create: 1, delete: 2, setData: 3, setACL: 4, check: 5, createSession: 6, closeSession: 7, multi: 8, error: 9 } as const;
/** In the top-level op's tag: a digest follows the op. */
const WITH_DIGEST = 0x100;

function writeAcl(w: Writer, acl: readonly Acl[]): void {
  w.int(acl.length);
  for (const a of acl) w.int(a.perms).string(a.id.scheme).string(a.id.id);
}

function readAcl(r: Reader): Acl[] {
  const n = r.length('acl', 9) ?? 0;
  const out: Acl[] = [];
  for (let i = 0; i < n; i++) out.push({ perms: r.int(), id: { scheme: r.string(), id: r.string() } });
  return out;
}

function writeKind(w: Writer, k: NodeKind): void {
  if (k.type === 'ephemeral') w.int(1).long(k.owner);
  else if (k.type === 'ttl') w.int(3).long(BigInt(k.ttl));
  else w.int(k.type === 'container' ? 2 : 0);
}

function readKind(r: Reader): NodeKind {
  const t = r.int();
  if (t === 0) return { type: 'persistent' };
  if (t === 1) return { type: 'ephemeral', owner: r.long() };
  if (t === 2) return { type: 'container' };
  if (t === 3) return { type: 'ttl', ttl: Number(r.long()) };
  throw new WireError(`node kind ${t}`);
}

/** Null data stays null (ZooKeeper keeps it apart from empty). */
const bytes = (r: Reader): Uint8Array | null => r.buffer();

function writeOp(w: Writer, op: TxnOp, flags = 0): void {
  w.int(TAG[op.type] | flags);
  switch (op.type) {
    case 'create':
      w.string(op.path).buffer(op.data);
      writeAcl(w, op.acl);
      writeKind(w, op.kind);
      w.int(op.parentCreates).bool(op.withStat);
      return;
    case 'delete':
    case 'check':
      w.string(op.path);
      return;
    case 'setData':
      w.string(op.path).buffer(op.data).int(op.version);
      return;
    case 'setACL':
      w.string(op.path);
      writeAcl(w, op.acl);
      w.int(op.aversion);
      return;
    case 'createSession':
      w.int(op.timeout);
      return;
    case 'closeSession':
      w.int(op.paths.length);
      for (const p of op.paths) w.string(p);
      return;
    case 'multi':
      w.int(op.ops.length);
      for (const o of op.ops) writeOp(w, o);
      return;
    case 'error':
      w.int(op.err).int(op.results ? op.results.length : -1);
      for (const e of op.results ?? []) w.int(e);
      return;
  }
}

function readOp(r: Reader, tag = r.int()): TxnOp {
  switch (tag) {
    case TAG.create:
      return { type: 'create', path: r.string(), data: bytes(r), acl: readAcl(r), kind: readKind(r), parentCreates: r.int(), withStat: r.bool() };
    case TAG.delete:
      return { type: 'delete', path: r.string() };
    case TAG.check:
      return { type: 'check', path: r.string() };
    case TAG.setData:
      return { type: 'setData', path: r.string(), data: bytes(r), version: r.int() };
    case TAG.setACL:
      return { type: 'setACL', path: r.string(), acl: readAcl(r), aversion: r.int() };
    case TAG.createSession:
      return { type: 'createSession', timeout: r.int() };
    case TAG.closeSession: {
      const n = r.length('paths', 4) ?? 0;
      const paths: string[] = [];
      for (let i = 0; i < n; i++) paths.push(r.string());
      return { type: 'closeSession', paths };
    }
    case TAG.multi: {
      const n = r.length('multi', 4) ?? 0;
      const ops: TxnOp[] = [];
      for (let i = 0; i < n; i++) ops.push(readOp(r));
      return { type: 'multi', ops };
    }
    case TAG.error: {
      const err = r.int() as ErrorCode;
      const n = r.length('results', 4);
      if (n === null) return { type: 'error', err };
      const results: ErrorCode[] = [];
      for (let i = 0; i < n; i++) results.push(r.int() as ErrorCode);
      return { type: 'error', err, results };
    }
    default:
      throw new WireError(`txn op tag ${tag}`);
  }
}

export function writeTxn(w: Writer, txn: Txn): void {
  w.long(BigInt(txn.zxid)).long(BigInt(txn.time)).long(txn.session);
  if (txn.digest === undefined) return writeOp(w, txn.op);
  writeOp(w, txn.op, WITH_DIGEST);
  w.int(DIGEST_VERSION).int(txn.digest | 0);
}

export function encodeTxn(txn: Txn): Uint8Array {
  const w = new Writer(128);
  writeTxn(w, txn);
  return w.finish();
}

export function readTxn(r: Reader): Txn {
  const zxid = Number(r.long());
  const time = Number(r.long());
  const session = r.long();
  const tag = r.int();
  const op = readOp(r, tag & ~WITH_DIGEST);
  if (!(tag & WITH_DIGEST)) return { zxid, time, session, op };
  const version = r.int();
  const digest = r.int() >>> 0;
  // A digest of another version (another build's hash) cannot be compared: it is read and dropped.
  return version === DIGEST_VERSION ? { zxid, time, session, op, digest } : { zxid, time, session, op };
}

export function decodeTxn(payload: Uint8Array): Decoded<Txn> {
  return attempt(() => {
    const r = new Reader(payload);
    const t = readTxn(r);
    r.end('txn');
    return t;
  });
}
