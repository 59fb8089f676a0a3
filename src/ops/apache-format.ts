// Facts about Apache ZooKeeper 3.x's data directory shared by its log and snapshot readers: the
// file header every file opens with (jute FileHeader: int magic, int version, long dbid), the
// opcodes a txn header carries, and how files are named (`log.<zxid>` / `snapshot.<zxid>` in
// lower-case hex without padding, in dataDir/version-2; a 3.8 snapshot may end in `.gz` or
// `.snappy` when zookeeper.snapshot.compression.method asked for it).

export const LOG_MAGIC = 0x5a4b4c47; // "ZKLG"
export const SNAP_MAGIC = 0x5a4b534e; // "ZKSN"
/** The one version 3.x writes in both headers. */
export const FORMAT_VERSION = 2;
export const FILE_HEADER = 16;
/** Apache's snapshot writer leaves dbid at -1; its log writer at 0. */
export const SNAP_DBID = -1n;
export const LOG_DBID = 0n;
/** TxnDigest.version for the CRC-32 digest of 3.6+ (DigestCalculator). */
export const DIGEST_VERSION = 2;

export const OP = {
  create: 1,
  delete: 2,
  setData: 5,
  setACL: 7,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  createContainer: 19,
  deleteContainer: 20,
  createTTL: 21,
  createSession: -10,
  closeSession: -11,
  error: -1,
} as const;
export type OpName = keyof typeof OP;
export const OP_NAME: ReadonlyMap<number, OpName> = new Map(Object.entries(OP).map(([k, v]) => [v, k as OpName]));

export interface FileHeader {
  readonly magic: number;
  readonly version: number;
  readonly dbid: bigint;
}

export function writeFileHeader(magic: number, dbid: bigint): Buffer {
  const b = Buffer.alloc(FILE_HEADER);
  b.writeInt32BE(magic | 0, 0);
  b.writeInt32BE(FORMAT_VERSION, 4);
  b.writeBigInt64BE(dbid, 8);
  return b;
}

export function readFileHeader(b: Uint8Array): FileHeader | undefined {
  if (b.length < FILE_HEADER) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { magic: v.getUint32(0), version: v.getInt32(4), dbid: v.getBigInt64(8) };
}

/** What a file's first four bytes say it is. */
export function magicOf(b: Uint8Array): 'apache-log' | 'apache-snapshot' | 'zabkit-log' | 'zabkit-snapshot' | 'gzip' | 'snappy' | 'unknown' {
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  // snappy-java's stream header: 0x82 "SNAPPY" 0x00
  if (b.length >= 8 && b[0] === 0x82 && Buffer.from(b.subarray(1, 7)).toString('latin1') === 'SNAPPY' && b[7] === 0) return 'snappy';
  if (b.length < 4) return 'unknown';
  const m = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  if (m === LOG_MAGIC) return 'apache-log';
  if (m === SNAP_MAGIC) return 'apache-snapshot';
  if (m === 0x5a424c47) return 'zabkit-log'; // "ZBLG", src/shell/storage-format.ts
  if (m === 0x5a42534e) return 'zabkit-snapshot'; // "ZBSN"
  return 'unknown';
}

/** Apache's name for a file starting (log) or ending (snapshot) at zxid. */
export const apacheName = (prefix: 'log' | 'snapshot', zxid: number | bigint): string => `${prefix}.${BigInt(zxid).toString(16)}`;

/** A name Apache would take as one of its files: the zxid and compression, or undefined. */
export function parseApacheName(name: string): { readonly prefix: 'log' | 'snapshot'; readonly zxid: bigint; readonly compression?: 'gz' | 'snappy' } | undefined {
  const m = /^(log|snapshot)\.([0-9a-f]{1,16})(?:\.(gz|snappy))?$/.exec(name);
  if (!m || (m[1] === 'log' && m[3] !== undefined)) return undefined;
  const zxid = BigInt(`0x${m[2]}`);
  return m[3] ? { prefix: m[1] as 'snapshot', zxid, compression: m[3] as 'gz' | 'snappy' } : { prefix: m[1] as 'log' | 'snapshot', zxid };
}

/** A 64-bit id or zxid as Apache's tools print it. */
export const hex64 = (v: bigint | number): string => `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;
