// Recovery (spec/persistence.md, PERSIST-4): the newest valid snapshot and the log records after
// it up to the first torn or corrupt record; the log is cut there, since what follows was never
// acknowledged. A log that does not continue the snapshot (a gap) stops the server: that history
// is not the one it wrote.
import { dirname, join } from 'node:path';
import { deserializeTree, type Txn } from '../tree/index.ts';
import { continues } from '../zab/zxid.ts';
import type { Disk } from './storage-disk.ts';
import { apacheDataError, checkSnapshot, hasApacheMagic, hex, LOG_HEADER, scanLog, SNAP_HEADER, StorageError, zxidOfName, type Recovered } from './storage-format.ts';

function readEpoch(disk: Disk, name: string): number {
  const file = join(disk.snapDir, name);
  if (!disk.fs.existsSync(file)) return 0;
  const text = disk.fs.readFileSync(file).toString('utf8').trim();
  if (!/^\d+$/.test(text)) throw new StorageError(`${file}: '${text}' is not an epoch`);
  return Number(text);
}

function loadSnapshot(disk: Disk): Recovered['snapshot'] {
  for (const name of disk.listed(disk.snapDir, 'snapshot').reverse()) {
    const file = join(disk.snapDir, name);
    const bytes = disk.fs.readFileSync(file);
    // An Apache file under a zabkit name (a zxid of 16 hex digits): refused, not skipped.
    if (hasApacheMagic(bytes)) throw apacheDataError(dirname(disk.snapDir), dirname(disk.logDir), [name]);
    const header = checkSnapshot(bytes);
    const loaded = 'problem' in header ? ({ ok: false, error: header.problem } as const) : deserializeTree(bytes.subarray(SNAP_HEADER));
    if (loaded.ok && 'zxid' in header) return { zxid: header.zxid, tree: loaded.tree };
    if (!loaded.ok) disk.logger.warn('skipping damaged snapshot', { file, error: loaded.error });
  }
  return undefined;
}

export function recover(disk: Disk): Recovered {
  const { fs, logger, logDir } = disk;
  const acceptedEpoch = readEpoch(disk, 'acceptedEpoch');
  const currentEpoch = readEpoch(disk, 'currentEpoch');
  const snapshot = loadSnapshot(disk);
  const after = snapshot?.zxid ?? 0;
  const txns: Txn[] = [];
  let last = after;
  let gap: string | undefined;
  let removed = false;
  const files = disk.listed(logDir, 'log');
  for (let i = 0; i < files.length; i++) {
    // A log whose successor starts at or before the snapshot's next txn holds only what the
    // snapshot holds: not read at all (as ZooKeeper picks its logs). The rest are read, and a
    // record the snapshot covers is checked but not decoded.
    const next = files[i + 1];
    if (next !== undefined && zxidOfName(next) <= after + 1) continue;
    const file = join(logDir, files[i]!);
    const bytes = fs.readFileSync(file);
    // Not cut as a damaged log: an Apache log under a zabkit name is refused, untouched.
    if (hasApacheMagic(bytes)) throw apacheDataError(dirname(disk.snapDir), dirname(logDir), [files[i]!]);
    if (bytes.length <= LOG_HEADER) {
      // No record: a crash while it was being started. Its name would misplace later logs
      // (named by their first zxid, which may sort before it): it goes, and only it.
      fs.rmSync(file);
      removed = true;
      continue;
    }
    const cut = scanLog(bytes, after, (t) => {
      if (t.zxid <= last) return false; // out of order: treat as damage
      if (!continues(last, t.zxid)) {
        gap = `${file}: txn ${hex(t.zxid)} follows ${last === after ? (snapshot ? `the snapshot at ${hex(after)}` : 'nothing (no snapshot)') : hex(last)}`;
        return false;
      }
      txns.push(t);
      last = t.zxid;
      return true;
    });
    if (gap !== undefined) {
      throw new StorageError(`the txn log does not continue the history (${gap}): refusing to start with a history that lost txns; restore the data directory or remove it to rejoin by SNAP`);
    }
    if (cut !== undefined) {
      // Nothing after a damaged record was acknowledged: the fsync covering it never returned.
      logger.warn('txn log damaged: cutting it at the last good record', { file, offset: cut.offset, reason: cut.reason });
      disk.cutLog(files, i, cut.offset);
      removed = false; // cutLog synced the directory
      break;
    }
  }
  if (removed) disk.fsyncDir(logDir);
  logger.info('recovered', { snapshotZxid: hex(after), logged: txns.length, lastZxid: hex(last), acceptedEpoch, currentEpoch });
  return { acceptedEpoch, currentEpoch, ...(snapshot ? { snapshot } : {}), txns };
}
