// Apache ZooKeeper's txn records as its log holds them (zookeeper.jute's org.apache.zookeeper.txn
// module, read by SerializeUtils.deserializeTxn): TxnHeader (long clientId, int cxid, long zxid,
// long time, int type), then the record its type names, then — since 3.6, when digests are on —
// TxnDigest (int version, long treeDigest). A multi holds its ops as (int type, buffer record).
// Decoding reports damage as a value (src/wire/jute.ts's `attempt`).
import type { Acl } from '../tree/index.ts';
import { attempt, Reader, WireError, Writer, type Decoded } from '../wire/jute.ts';
import { OP, OP_NAME } from './apache-format.ts';

export interface TxnHeader {
  readonly clientId: bigint;
  readonly cxid: number;
  readonly zxid: bigint;
  readonly time: bigint;
  readonly type: number;
}

type Data = Uint8Array | null;

export type ApacheBody =
  /** parentCVersion −1: a CreateTxnV0 (before 3.3), which has none; the parent's own + 1 is meant. */
  | { readonly type: 'create' | 'create2'; readonly path: string; readonly data: Data; readonly acl: readonly Acl[]; readonly ephemeral: boolean; readonly parentCVersion: number }
  | { readonly type: 'createContainer'; readonly path: string; readonly data: Data; readonly acl: readonly Acl[]; readonly parentCVersion: number }
  | { readonly type: 'createTTL'; readonly path: string; readonly data: Data; readonly acl: readonly Acl[]; readonly parentCVersion: number; readonly ttl: bigint }
  | { readonly type: 'delete' | 'deleteContainer'; readonly path: string }
  | { readonly type: 'setData' | 'reconfig'; readonly path: string; readonly data: Data; readonly version: number }
  | { readonly type: 'setACL'; readonly path: string; readonly acl: readonly Acl[]; readonly version: number }
  | { readonly type: 'check'; readonly path: string; readonly version: number }
  | { readonly type: 'createSession'; readonly timeout: number }
  /** paths absent: logged without a CloseSessionTxn (before 3.6, or with it turned off). */
  | { readonly type: 'closeSession'; readonly paths?: readonly string[] }
  | { readonly type: 'error'; readonly err: number }
  | { readonly type: 'multi'; readonly txns: readonly ApacheBody[] };

export interface TxnDigest {
  readonly version: number;
  readonly treeDigest: bigint;
}

export interface ApacheTxn {
  readonly header: TxnHeader;
  readonly body: ApacheBody;
  readonly digest?: TxnDigest;
}

/** A copy: a view would keep a whole 64 MB log buffer alive for a few bytes of data. */
const data = (r: Reader): Data => {
  const b = r.buffer();
  return b === null ? null : new Uint8Array(b); // a plain copy (a Buffer's slice is a view)
};

function readAcl(r: Reader): Acl[] {
  const n = r.length('acl vector', 12) ?? 0;
  const out: Acl[] = [];
  for (let i = 0; i < n; i++) out.push({ perms: r.int(), id: { scheme: r.string(), id: r.string() } });
  return out;
}

export function writeAcl(w: Writer, acl: readonly Acl[]): void {
  w.int(acl.length);
  for (const a of acl) w.int(a.perms).string(a.id.scheme).string(a.id.id);
}

function readBody(r: Reader, type: number): ApacheBody {
  const name = OP_NAME.get(type);
  switch (name) {
    case 'create':
    case 'create2': {
      const path = r.string();
      const d = data(r);
      const acl = readAcl(r);
      const ephemeral = r.bool();
      // CreateTxnV0 ends here; Apache tells them apart by running out of bytes.
      const parentCVersion = r.remaining === 0 ? -1 : r.int();
      return { type: name, path, data: d, acl, ephemeral, parentCVersion };
    }
    case 'createContainer':
      return { type: name, path: r.string(), data: data(r), acl: readAcl(r), parentCVersion: r.int() };
    case 'createTTL':
      return { type: name, path: r.string(), data: data(r), acl: readAcl(r), parentCVersion: r.int(), ttl: r.long() };
    case 'delete':
    case 'deleteContainer':
      return { type: name, path: r.string() };
    case 'setData':
    case 'reconfig':
      return { type: name, path: r.string(), data: data(r), version: r.int() };
    case 'setACL':
      return { type: name, path: r.string(), acl: readAcl(r), version: r.int() };
    case 'check':
      return { type: name, path: r.string(), version: r.int() };
    case 'createSession':
      return { type: name, timeout: r.int() };
    case 'closeSession': {
      if (r.remaining === 0) return { type: name };
      const n = r.length('paths2Delete', 4) ?? 0;
      const paths: string[] = [];
      for (let i = 0; i < n; i++) paths.push(r.string());
      return { type: name, paths };
    }
    case 'error':
      return { type: name, err: r.int() };
    case 'multi': {
      const n = r.length('multi txns', 8) ?? 0;
      const txns: ApacheBody[] = [];
      for (let i = 0; i < n; i++) {
        const sub = r.int();
        if (sub === OP.multi) throw new WireError('a multi inside a multi');
        const bytes = r.buffer() ?? new Uint8Array(0);
        const inner = new Reader(bytes);
        txns.push(readBody(inner, sub));
        inner.end(`multi op ${i}`);
      }
      return { type: name, txns };
    }
    default:
      throw new WireError(`unsupported txn type ${type}`);
  }
}

export function writeBody(w: Writer, b: ApacheBody): void {
  switch (b.type) {
    case 'create':
    case 'create2':
      w.string(b.path).buffer(b.data);
      writeAcl(w, b.acl);
      w.bool(b.ephemeral);
      if (b.parentCVersion !== -1) w.int(b.parentCVersion);
      return;
    case 'createContainer':
      w.string(b.path).buffer(b.data);
      writeAcl(w, b.acl);
      w.int(b.parentCVersion);
      return;
    case 'createTTL':
      w.string(b.path).buffer(b.data);
      writeAcl(w, b.acl);
      w.int(b.parentCVersion).long(b.ttl);
      return;
    case 'delete':
    case 'deleteContainer':
      w.string(b.path);
      return;
    case 'setData':
    case 'reconfig':
      w.string(b.path).buffer(b.data).int(b.version);
      return;
    case 'setACL':
      w.string(b.path);
      writeAcl(w, b.acl);
      w.int(b.version);
      return;
    case 'check':
      w.string(b.path).int(b.version);
      return;
    case 'createSession':
      w.int(b.timeout);
      return;
    case 'closeSession':
      if (b.paths === undefined) return;
      w.int(b.paths.length);
      for (const p of b.paths) w.string(p);
      return;
    case 'error':
      w.int(b.err);
      return;
    case 'multi':
      w.int(b.txns.length);
      for (const t of b.txns) {
        const inner = new Writer(64);
        writeBody(inner, t);
        w.int(OP[t.type]).buffer(inner.finish());
      }
      return;
  }
}

/** One log entry's bytes (what the checksum covers): header, record, digest. */
export function encodeApacheTxn(t: ApacheTxn): Uint8Array {
  const w = new Writer(128);
  const h = t.header;
  w.long(h.clientId).int(h.cxid).long(h.zxid).long(h.time).int(h.type);
  writeBody(w, t.body);
  if (t.digest) w.int(t.digest.version).long(t.digest.treeDigest);
  return w.finish();
}

export function decodeApacheTxn(bytes: Uint8Array): Decoded<ApacheTxn> {
  return attempt(() => {
    const r = new Reader(bytes);
    const header: TxnHeader = { clientId: r.long(), cxid: r.int(), zxid: r.long(), time: r.long(), type: r.int() };
    const body = readBody(r, header.type);
    if (r.remaining === 0) return { header, body };
    const digest: TxnDigest = { version: r.int(), treeDigest: r.long() };
    r.end('the txn digest');
    return { header, body, digest };
  });
}
