// Apache ZooKeeper's snapshot file (FileSnap, SnapStream, SerializeUtils, DataTree.serialize):
//   FileHeader ("ZKSN", 2, dbid)
//   int #sessions, each: long id, int timeout
//   int #acl lists (ReferenceCountedACLCache), each: long ref, vector<ACL>
//   nodes, parents first, each: string path (the root is ""), buffer data, long acl ref (−1:
//     world:anyone ALL), StatPersisted (long czxid mzxid ctime mtime, int version cversion
//     aversion, long ephemeralOwner pzxid); then the string "/"
//   seal: long Adler-32 of every byte before it, string "/"
//   3.6+: ZxidDigest (long zxid, int version, long digest; a hex string before version 2), sealed again
// With zookeeper.snapshot.compression.method=gz the whole stream is gzipped (the checksums are of
// the plain bytes); with snappy it is in snappy-java's framing, which zabkit does not read.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Acl } from '../tree/index.ts';
import { attempt, Reader, WireError, Writer } from '../wire/jute.ts';
import { adler32 } from './adler32.ts';
import { FORMAT_VERSION, magicOf, readFileHeader, SNAP_DBID, SNAP_MAGIC, type FileHeader } from './apache-format.ts';
import { writeAcl } from './apache-txn.ts';

export interface StatPersisted {
  readonly czxid: bigint;
  readonly mzxid: bigint;
  readonly ctime: bigint;
  readonly mtime: bigint;
  readonly version: number;
  /** The count of child creates (DataNode shows clients 2 × this − numChildren). */
  readonly cversion: number;
  readonly aversion: number;
  readonly ephemeralOwner: bigint;
  readonly pzxid: bigint;
}

export interface SnapNode {
  /** "/" for the root (stored as ""). */
  readonly path: string;
  readonly data: Uint8Array | null;
  readonly acl: bigint;
  readonly stat: StatPersisted;
}

export interface ZxidDigest {
  readonly zxid: bigint;
  readonly version: number;
  readonly digest: bigint;
}

export interface ApacheSnapshot {
  readonly dbid: bigint;
  readonly sessions: readonly { readonly id: bigint; readonly timeout: number }[];
  readonly acls: ReadonlyMap<bigint, readonly Acl[]>;
  readonly nodes: readonly SnapNode[];
  /** 3.6+ (digests on): the tree's digest as of zxid. */
  readonly digest?: ZxidDigest;
}

/** The ACL reference −1 stands for world:anyone with every permission (ZooDefs.Ids.OPEN_ACL_UNSAFE). */
export const OPEN_ACL_REF = -1n;

export interface ReadSnapshot {
  /** What was read; partial when `problems` ended it early. */
  readonly snapshot: ApacheSnapshot;
  readonly header?: FileHeader;
  /** Each problem with where it is (in the uncompressed stream). A checksum mismatch leaves all read. */
  readonly problems: readonly { readonly offset: number; readonly reason: string }[];
  readonly compressed?: 'gz';
}

function readStat(r: Reader): StatPersisted {
  return { czxid: r.long(), mzxid: r.long(), ctime: r.long(), mtime: r.long(), version: r.int(), cversion: r.int(), aversion: r.int(), ephemeralOwner: r.long(), pzxid: r.long() };
}

/** A digest before version 2: a hex string, as Java's Long.parseLong(s, 16) reads it. */
function hexDigest(s: string): bigint {
  const m = /^([-+]?)([0-9a-fA-F]{1,16})$/.exec(s);
  if (!m) throw new WireError(`digest '${s}' is not a hex number`);
  const v = BigInt(`0x${m[2]}`);
  return BigInt.asIntN(64, m[1] === '-' ? -v : v);
}

/** Read a snapshot file's bytes; never throws. */
export function readApacheSnapshot(file: Uint8Array): ReadSnapshot {
  const empty: ApacheSnapshot = { dbid: 0n, sessions: [], acls: new Map(), nodes: [] };
  const kind = magicOf(file);
  if (kind === 'snappy') {
    return {
      snapshot: empty,
      problems: [
        {
          offset: 0,
          reason:
            'a snappy-compressed snapshot (zookeeper.snapshot.compression.method=snappy), which zabkit does not read: start Apache ZooKeeper once without that property so that it writes an uncompressed snapshot, and use that',
        },
      ],
    };
  }
  let b = file;
  let compressed: 'gz' | undefined;
  if (kind === 'gzip') {
    try {
      b = gunzipSync(file);
      compressed = 'gz';
    } catch (e) {
      return { snapshot: empty, problems: [{ offset: 0, reason: `a gzip snapshot that does not decompress: ${(e as Error).message}` }] };
    }
  }
  b = new Uint8Array(b.buffer, b.byteOffset, b.byteLength); // data read are plain views, not Buffers
  const header = readFileHeader(b);
  if (!header || header.magic !== SNAP_MAGIC) return { snapshot: empty, problems: [{ offset: 0, reason: 'not an Apache ZooKeeper snapshot (no ZKSN header)' }] };
  if (header.version !== FORMAT_VERSION) return { snapshot: empty, header, problems: [{ offset: 4, reason: `snapshot format version ${header.version}, not ${FORMAT_VERSION}` }] };
  const r = new Reader(b);
  const at = (): number => b.length - r.remaining;
  const sessions: { id: bigint; timeout: number }[] = [];
  const acls = new Map<bigint, Acl[]>();
  const nodes: SnapNode[] = [];
  const problems: { offset: number; reason: string }[] = [];
  let digest: ZxidDigest | undefined;
  const seal = (what: string): void => {
    const computed = adler32(b.subarray(0, at()));
    const offset = at();
    const stored = r.long();
    const slash = r.string();
    if (slash !== '/') problems.push({ offset, reason: `${what} seal not followed by "/"` });
    if (stored !== BigInt(computed)) problems.push({ offset, reason: `${what} checksum mismatch: stored 0x${BigInt.asUintN(64, stored).toString(16)}, computed 0x${computed.toString(16)}` });
  };
  let offset = 0;
  const done = attempt(() => {
    r.long(); // the header, read above
    r.long();
    offset = at();
    for (let n = r.length('sessions', 12) ?? 0; n > 0; n--) sessions.push({ id: r.long(), timeout: r.int() });
    offset = at();
    for (let n = r.length('acl lists', 12) ?? 0; n > 0; n--) {
      offset = at();
      const ref = r.long();
      const count = r.length('acl vector', 12);
      if (count === null) throw new WireError(`acl list ${ref} is null`);
      const list: Acl[] = [];
      for (let i = 0; i < count; i++) list.push({ perms: r.int(), id: { scheme: r.string(), id: r.string() } });
      acls.set(ref, list);
    }
    for (;;) {
      offset = at();
      const path = r.string();
      if (path === '/') break;
      const data = r.buffer();
      nodes.push({ path: path === '' ? '/' : path, data, acl: r.long(), stat: readStat(r) });
    }
    offset = at();
    seal('tree');
    if (r.remaining === 0) return; // written before 3.6, or with digests off
    offset = at();
    const zxid = r.long();
    const version = r.int();
    const value = version < 2 ? hexDigest(r.string()) : r.long();
    digest = { zxid, version, digest: value };
    offset = at();
    seal('digest');
    if (r.remaining !== 0) problems.push({ offset: at(), reason: `${r.remaining} bytes after the last seal` });
  });
  if (!done.ok) problems.push({ offset, reason: done.error });
  return { snapshot: { dbid: header.dbid, sessions, acls, nodes, ...(digest ? { digest } : {}) }, header, problems, ...(compressed ? { compressed } : {}) };
}

/** A snapshot file's bytes, sealed as Apache seals them; gzipped when asked (name it `.gz`). */
export function writeApacheSnapshot(s: Omit<ApacheSnapshot, 'dbid'> & { readonly dbid?: bigint }, options: { readonly gzip?: boolean } = {}): Buffer {
  const w = new Writer(1 << 16);
  w.int(SNAP_MAGIC | 0).int(FORMAT_VERSION).long(s.dbid ?? SNAP_DBID);
  w.int(s.sessions.length);
  for (const x of s.sessions) w.long(x.id).int(x.timeout);
  w.int(s.acls.size);
  for (const [ref, list] of s.acls) {
    w.long(ref);
    writeAcl(w, list);
  }
  for (const n of s.nodes) {
    const t = n.stat;
    w.string(n.path === '/' ? '' : n.path).buffer(n.data).long(n.acl);
    w.long(t.czxid).long(t.mzxid).long(t.ctime).long(t.mtime).int(t.version).int(t.cversion).int(t.aversion).long(t.ephemeralOwner).long(t.pzxid);
  }
  w.string('/');
  const sealed = (): void => {
    const sum = adler32(w.finish());
    w.long(BigInt(sum)).string('/');
  };
  sealed();
  if (s.digest) {
    w.long(s.digest.zxid).int(s.digest.version).long(s.digest.digest);
    sealed();
  }
  const bytes = Buffer.from(w.finish());
  return options.gzip ? gzipSync(bytes) : bytes;
}
