// Apache ZooKeeper's txn log file (FileTxnLog): a FileHeader ("ZKLG", 2, dbid), then records
// [long Adler-32 of the entry][int length][entry][byte 0x42 'B'], where the entry is a txn as
// apache-txn.ts reads it. Apache preallocates the file in 64 MB blocks of zeros, so the records end
// at the first zero length (or at the end of the file). Reading names each damaged record by its
// offset and goes on past one whose frame is whole (a bad checksum, an undecodable entry); a torn
// frame ends the scan.
import { adler32 } from './adler32.ts';
import { FILE_HEADER, FORMAT_VERSION, LOG_DBID, LOG_MAGIC, readFileHeader, writeFileHeader, type FileHeader } from './apache-format.ts';
import { decodeApacheTxn, encodeApacheTxn, type ApacheTxn } from './apache-txn.ts';

const EOR = 0x42;
const FRAME = 12; // checksum + length

export type LogEntry =
  | { readonly offset: number; readonly txn: ApacheTxn }
  /** resumable: the frame was whole, the records after it were read. */
  | { readonly offset: number; readonly damage: string; readonly resumable: boolean };

export interface ApacheLog {
  readonly header: FileHeader;
  readonly entries: readonly LogEntry[];
  /** Where the records end: the first zero-length frame, or the end of the file. */
  readonly end: number;
}

/** Whether every byte of b from `from` on is zero; the first that is not, otherwise. */
function firstNonZero(b: Uint8Array, from: number): number | undefined {
  for (let i = from; i < b.length; i++) if (b[i] !== 0) return i;
  return undefined;
}

/** The log in `b`, or why it is not one (a header that is not Apache's). */
export function readApacheLog(b: Uint8Array): ApacheLog | { readonly problem: string } {
  const header = readFileHeader(b);
  if (!header) return { problem: `${b.length} bytes: shorter than a file header (${FILE_HEADER})` };
  if (header.magic !== LOG_MAGIC) return { problem: `magic 0x${header.magic.toString(16)} is not an Apache txn log's (ZKLG)` };
  if (header.version !== FORMAT_VERSION) return { problem: `txn log format version ${header.version}, not ${FORMAT_VERSION}` };
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const entries: LogEntry[] = [];
  let at = FILE_HEADER;
  const stop = (damage: string, offset = at): ApacheLog => {
    entries.push({ offset, damage, resumable: false });
    return { header, entries, end: at };
  };
  while (at < b.length) {
    const left = b.length - at;
    if (left < FRAME) {
      if (firstNonZero(b, at) === undefined) break;
      return stop(`torn record header: ${left} bytes left`);
    }
    const sum = view.getBigInt64(at);
    const len = view.getInt32(at + 8);
    if (len === 0) {
      // Preallocated zeros: the records end here. Anything else after it was a write torn apart.
      const odd = sum !== 0n ? at : firstNonZero(b, at + FRAME);
      if (odd !== undefined) return stop('non-zero bytes after the last record (a torn write?)', odd);
      break;
    }
    if (len < 0) return stop(`record length ${len}`);
    if (len + 1 > left - FRAME) return stop(`torn record: length ${len}, ${left - FRAME} bytes left`);
    const entry = b.subarray(at + FRAME, at + FRAME + len);
    const eor = b[at + FRAME + len]!;
    if (eor !== EOR) return stop(`record not ended by 'B' (0x42) but by 0x${eor.toString(16)}`);
    const next = at + FRAME + len + 1;
    const computed = adler32(entry);
    if (sum !== BigInt(computed)) {
      entries.push({ offset: at, damage: `checksum mismatch: stored 0x${BigInt.asUintN(64, sum).toString(16)}, computed 0x${computed.toString(16)}`, resumable: true });
    } else {
      const t = decodeApacheTxn(entry);
      entries.push(t.ok ? { offset: at, txn: t.value } : { offset: at, damage: `undecodable txn: ${t.error}`, resumable: true });
    }
    at = next;
  }
  return { header, entries, end: at };
}

/** A log file's bytes: header, records, and `prealloc` zero bytes after them (Apache's padding). */
export function writeApacheLog(txns: readonly ApacheTxn[], options: { readonly dbid?: bigint; readonly prealloc?: number } = {}): Buffer {
  const parts: Uint8Array[] = [writeFileHeader(LOG_MAGIC, options.dbid ?? LOG_DBID)];
  for (const t of txns) parts.push(frame(encodeApacheTxn(t)));
  if (options.prealloc) parts.push(Buffer.alloc(options.prealloc));
  return Buffer.concat(parts);
}

/** One record: checksum, length, entry, 'B'. */
export function frame(entry: Uint8Array): Buffer {
  const out = Buffer.alloc(FRAME + entry.length + 1);
  out.writeBigInt64BE(BigInt(adler32(entry)), 0);
  out.writeInt32BE(entry.length, 8);
  out.set(entry, FRAME);
  out[FRAME + entry.length] = EOR;
  return out;
}
