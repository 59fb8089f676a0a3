// The on-disk formats of src/shell/storage.ts: the txn log's header and records, the snapshot's
// header, the install marker. Log: `log.<first zxid, 16 hex>` = header, then records
// [u32 length][u32 crc32][txn]. Snapshot: `snapshot.<zxid>` = header (magic, format, zxid, crc32
// of the body), then the serialized tree.
import { crc32 } from 'node:zlib';
import { z } from 'zod';
import type { Tree, Txn } from '../tree/index.ts';
import { decodeTxn, encodeTxn } from '../wire/txn.ts';

const LOG_MAGIC = 0x5a424c47; // "ZBLG"
const SNAP_MAGIC = 0x5a42534e; // "ZBSN"
const FORMAT = 1;
export const LOG_HEADER = 8;
export const SNAP_HEADER = 20; // magic, format, zxid (8), crc32 of the body

export const INSTALL_MARKER = 'installing';
export const TRUNCATE_MARKER = 'truncating';
export const STAGED = '.install';
export const TMP = '.tmp';

export const hex = (zxid: number): string => zxid.toString(16).padStart(16, '0');
export const zxidOfName = (name: string): number => parseInt(name.slice(name.indexOf('.') + 1), 16);

export interface Recovered {
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  /** The newest valid snapshot, if any. */
  readonly snapshot?: { readonly zxid: number; readonly tree: Tree };
  /** Logged txns after the snapshot, in zxid order. */
  readonly txns: readonly Txn[];
}

export class StorageError extends Error {}

// Apache ZooKeeper keeps the same layout (dataDir/version-2, epoch files beside the snapshots) but
// names its files by the zxid in hex without padding (log.1, snapshot.1a2[.gz|.snappy]) and opens
// them with its own magic. zabkit would list none of them and serve an empty tree: refused instead.
const APACHE_MAGIC = new Set([0x5a4b4c47, 0x5a4b534e]); // "ZKLG", "ZKSN"

/** Apache ZooKeeper's data files among a directory's names. */
export function apacheFiles(names: readonly string[]): string[] {
  return names.filter((f) => /^(log|snapshot)\.[0-9a-f]+(\.(gz|snappy))?$/.test(f) && !/^(log|snapshot)\.[0-9a-f]{16}$/.test(f)).sort();
}

/** Whether a file (named as zabkit names its own) opens with Apache's log or snapshot magic. */
export const hasApacheMagic = (b: Uint8Array): boolean => b.length >= 4 && APACHE_MAGIC.has(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0);

/** The refusal: the directory, the files, and the command that converts them. */
export function apacheDataError(dataDir: string, dataLogDir: string, files: readonly string[]): StorageError {
  const log = dataLogDir === dataDir ? '' : ` --from-apache-log ${dataLogDir}`;
  const shown = files.slice(0, 4).join(', ') + (files.length > 4 ? `, … (${files.length})` : '');
  return new StorageError(
    `${dataDir} holds Apache ZooKeeper's data files (${shown} in version-2), which zabkit does not serve in place (it would start with an empty tree): convert them with 'zabkit import --from-apache ${dataDir}${log} --to NEW_DIR' and start the server with --data-dir NEW_DIR`,
  );
}

export const installMarker = z.object({ snapshot: z.string().regex(/^snapshot\.[0-9a-f]{16}$/).optional(), log: z.string().regex(/^log\.[0-9a-f]{16}$/).optional() });

/** JSON, or the text itself when it is not (a marker's schema then refuses it by name). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function logHeader(): Buffer {
  const head = Buffer.alloc(LOG_HEADER);
  head.writeUInt32BE(LOG_MAGIC, 0);
  head.writeUInt32BE(FORMAT, 4);
  return head;
}

/** Log records, `[length][crc32][txn]` each, as buffers to write in one call. */
export function records(txns: readonly Txn[]): Buffer[] {
  const parts: Buffer[] = [];
  for (const t of txns) {
    const payload = encodeTxn(t);
    const head = Buffer.allocUnsafe(8);
    head.writeUInt32BE(payload.length, 0);
    head.writeUInt32BE(crc32(payload), 4);
    parts.push(head, Buffer.from(payload.buffer, payload.byteOffset, payload.length));
  }
  return parts;
}

/**
 * Read a log's records in order; the first damage (or a record `take` refuses) is where to cut
 * it. Records up to zxid `skip` (a snapshot holds them) are CRC-checked, not decoded or taken.
 */
export function scanLog(b: Buffer, skip: number, take: (t: Txn) => boolean): { offset: number; reason: string } | undefined {
  if (b.length < LOG_HEADER || b.readUInt32BE(0) !== LOG_MAGIC || b.readUInt32BE(4) !== FORMAT) {
    return { offset: 0, reason: 'bad header' };
  }
  let at = LOG_HEADER;
  while (at < b.length) {
    if (b.length - at < 8) return { offset: at, reason: 'torn record header' };
    const n = b.readUInt32BE(at);
    if (n > b.length - at - 8) return { offset: at, reason: 'torn record' };
    const payload = b.subarray(at + 8, at + 8 + n);
    if (crc32(payload) !== b.readUInt32BE(at + 4)) return { offset: at, reason: 'crc mismatch' };
    if (n >= 8 && Number(payload.readBigInt64BE(0)) <= skip) {
      at += 8 + n; // a txn's encoding starts with its zxid
      continue;
    }
    const t = decodeTxn(payload);
    if (!t.ok) return { offset: at, reason: t.error };
    if (!take(t.value)) return { offset: at, reason: 'zxid out of order' };
    at += 8 + n;
  }
  return undefined;
}

export function snapshotHeader(zxid: number, crc: number): Buffer {
  const head = Buffer.alloc(SNAP_HEADER);
  head.writeUInt32BE(SNAP_MAGIC, 0);
  head.writeUInt32BE(FORMAT, 4);
  head.writeBigInt64BE(BigInt(zxid), 8);
  head.writeUInt32BE(crc, 16);
  return head;
}

/** What is wrong with a snapshot file's header or checksum, if anything; its zxid otherwise. */
export function checkSnapshot(bytes: Buffer): { readonly problem: string } | { readonly zxid: number } {
  if (bytes.length < SNAP_HEADER || bytes.readUInt32BE(0) !== SNAP_MAGIC) return { problem: 'not a zabkit snapshot' };
  if (bytes.readUInt32BE(4) !== FORMAT) return { problem: `format ${bytes.readUInt32BE(4)}` };
  if (crc32(bytes.subarray(SNAP_HEADER)) !== bytes.readUInt32BE(16)) return { problem: 'crc mismatch' };
  return { zxid: Number(bytes.readBigInt64BE(8)) };
}
