// Disk faults on a stopped server's data directory, for both systems' layouts (files under
// version-2/, named log.<zxid> and snapshot.<zxid>, the newest with the largest zxid):
//   torn     the newest log's last record cut in its middle (a write the disk had not finished)
//   corrupt  a byte of the newest log's last record flipped (a bad sector, a lost write)
//   snapshot a byte in the middle of the newest snapshot flipped
//   wipe     version-2/ removed: the server keeps its myid and must catch up from the others
// Record layouts: zabkit's log = 8-byte header, then [u32 length][u32 crc32][txn]; Apache's =
// 16-byte header, then [i64 crc][i32 length][txn][0x42], the file preallocated with zeros.
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SystemName } from './cluster.ts';

export type DiskFault = 'torn' | 'corrupt' | 'snapshot' | 'wipe';

/** The newest file of a kind (`log` or `snapshot`) in a data directory, if any. */
export function newest(dataDir: string, kind: 'log' | 'snapshot'): string | undefined {
  const dir = join(dataDir, 'version-2');
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir).filter((f) => new RegExp(`^${kind}\\.[0-9a-f]+$`).test(f));
  files.sort((a, b) => (BigInt(`0x${a.slice(kind.length + 1)}`) < BigInt(`0x${b.slice(kind.length + 1)}`) ? -1 : 1));
  const last = files[files.length - 1];
  return last ? join(dir, last) : undefined;
}

/** Where the last whole record of a log lies: [start, end), or undefined if it holds none. */
export function lastRecord(system: SystemName, bytes: Buffer): readonly [number, number] | undefined {
  let last: [number, number] | undefined;
  if (system === 'zabkit') {
    for (let off = 8; off + 8 <= bytes.length; ) {
      const end = off + 8 + bytes.readUInt32BE(off);
      if (end > bytes.length) break;
      last = [off, end];
      off = end;
    }
  } else {
    for (let off = 16; off + 12 <= bytes.length; ) {
      const len = bytes.readInt32BE(off + 8);
      if (len <= 0) break; // the preallocated zeros after the last record
      const end = off + 12 + len + 1;
      if (end > bytes.length) break;
      last = [off, end];
      off = end;
    }
  }
  return last;
}

/** Apply a disk fault to a stopped server's data directory; what was done, for the fault log. */
export function applyDiskFault(system: SystemName, dataDir: string, fault: DiskFault): string {
  if (fault === 'wipe') {
    rmSync(join(dataDir, 'version-2'), { recursive: true, force: true });
    return 'version-2/ removed';
  }
  if (fault === 'snapshot') {
    const file = newest(dataDir, 'snapshot');
    if (!file) return 'no snapshot to corrupt';
    const bytes = readFileSync(file);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(file, bytes);
    return `${file}: byte ${at} of ${bytes.length} flipped`;
  }
  const file = newest(dataDir, 'log');
  if (!file) return 'no log';
  const bytes = readFileSync(file);
  const span = lastRecord(system, bytes);
  if (!span) return `${file}: no record`;
  const [start, end] = span;
  const mid = start + Math.floor((end - start) / 2);
  if (fault === 'torn') {
    truncateSync(file, mid);
    return `${file}: cut at ${mid}, inside its last record [${start}, ${end})`;
  }
  bytes[mid] = bytes[mid]! ^ 0xff;
  writeFileSync(file, bytes);
  return `${file}: byte ${mid} of its last record [${start}, ${end}) flipped`;
}
