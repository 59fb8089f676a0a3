// Durable storage (spec/persistence.md): the epoch files, the txn log and snapshots. Formats in
// storage-format.ts, the directories and the crash-atomic operations in storage-disk.ts, recovery
// in storage-recovery.ts.
// The log is opened O_DSYNC: a write returns once its records are durable (as write + fdatasync,
// in one call to the thread pool), and a record is acknowledged only after that; one write carries
// every record queued since the last (group commit).
// A SNAP from a leader replaces everything at once (PERSIST-11): its snapshot and log are
// written under names recovery ignores, a marker file commits them, and then they take the
// place of the old files; a restart finds either the old state or, rolling the marker
// forward, the new one — never a mixture. A TRUNC is committed the same way (a marker naming
// the zxid), so that a crash part-way never leaves a log with a hole in it.
// Every file-system call goes through `fs` (file-system.ts: node:fs itself in production), so
// that a test can crash the storage after any of them (test/shell/storage-crash.test.ts).
import { constants } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Tree, Txn } from '../tree/index.ts';
import { encodeTreeInPieces } from '../tree/snapshot.ts';
import { continues } from '../zab/zxid.ts';
import { nodeFileSystem, type FileHandleLike, type FileSystem } from './file-system.ts';
import type { Logger } from './logger.ts';
import { Disk } from './storage-disk.ts';
import { apacheDataError, apacheFiles, hex, INSTALL_MARKER, LOG_HEADER, logHeader, records, SNAP_HEADER, snapshotHeader, STAGED, TMP, TRUNCATE_MARKER, zxidOfName, type Recovered } from './storage-format.ts';
import { recover } from './storage-recovery.ts';

export { StorageError, type Recovered } from './storage-format.ts';
export { continues }; // the gap rule (src/zab/zxid.ts), re-exported for the storage tests

export class Storage {
  private log: FileHandleLike | null = null;
  private logPos = 0;
  /** Start a new log file with the next append (after a snapshot, a truncation or a SNAP). */
  private rollAt = false;
  /** Told how long each durable log write (and each of its txns' size) and each snapshot took: the metrics. */
  observer?: { appended(ms: number, recordSizes: number[], zxids: number[]): void; snapshotted(ms: number): void };

  private constructor(
    private readonly disk: Disk,
    /** Lets clients and peers be served between the pieces of a snapshot (setImmediate; the simulator's scheduler). */
    private readonly pause: () => Promise<void>,
  ) {}

  get snapDir(): string {
    return this.disk.snapDir;
  }

  get logDir(): string {
    return this.disk.logDir;
  }

  /** Open (creating) the directories and recover what they hold. */
  static open(
    dataDir: string,
    dataLogDir: string,
    logger: Logger,
    fs: FileSystem = nodeFileSystem,
    soon: (fn: () => void) => void = setImmediate,
    /** The simulator's mutant: recovery builds on what it reads without syncing it first. */
    unsyncedRecovery = false,
  ): { storage: Storage; recovered: Recovered } {
    const disk = new Disk(join(dataDir, 'version-2'), join(dataLogDir, 'version-2'), logger, fs);
    disk.makeDir(disk.snapDir);
    disk.makeDir(disk.logDir);
    // Before anything is synced, cleared or written: an Apache data directory is refused, untouched.
    const foreign = [...new Set([disk.snapDir, disk.logDir])].flatMap((d) => apacheFiles(fs.readdirSync(d)));
    if (foreign.length > 0) throw apacheDataError(dataDir, dataLogDir, foreign);
    if (!unsyncedRecovery) disk.syncEverything(); // PERSIST-4: a killed process's unsynced writes are not built upon
    disk.clearLeftovers();
    disk.finishInstall();
    disk.finishTruncate();
    return { storage: new Storage(disk, () => new Promise<void>((resolve) => soon(resolve))), recovered: recover(disk) };
  }

  /** Write an epoch file durably: temp file, fsync, rename, fsync the directory. */
  writeEpoch(name: 'acceptedEpoch' | 'currentEpoch', epoch: number): void {
    this.disk.replaceFile(name, Buffer.from(`${epoch}\n`));
  }

  // ---------------------------------------------------------------- the log

  /** Append txns as one write, durable when it returns (O_DSYNC; group commit). */
  async append(txns: readonly Txn[]): Promise<void> {
    if (txns.length === 0) return;
    if (!this.log || this.rollAt) await this.startLog(txns[0]!.zxid);
    const recs = records(txns);
    const buf = Buffer.concat(recs);
    const log = this.log!;
    const start = performance.now();
    for (let done = 0; done < buf.length; ) {
      const { bytesWritten } = await log.write(buf, done, buf.length - done, this.logPos);
      done += bytesWritten;
      this.logPos += bytesWritten;
    }
    // O_DSYNC: the write is the fsync. `records` gives each txn as a header, then its bytes.
    this.observer?.appended(performance.now() - start, recs.filter((_, i) => i % 2 === 1).map((r) => r.length), txns.map((t) => t.zxid));
  }

  private async startLog(firstZxid: number): Promise<void> {
    await this.log?.close();
    const file = join(this.logDir, `log.${hex(firstZxid)}`);
    // O_DSYNC (see the top of this file): one trip to the thread pool per group commit, not two.
    this.log = await this.disk.fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_DSYNC);
    await this.log.write(logHeader(), 0, LOG_HEADER, 0);
    await this.log.sync();
    this.disk.fsyncDir(this.logDir);
    this.logPos = LOG_HEADER;
    this.rollAt = false;
  }

  /**
   * Drop every logged txn after `zxid` (TRUNC, SYNC-3; PERSIST-5), crash-atomically: a marker
   * naming `zxid` commits the truncation and a restart rolls it forward, so that a crash leaves
   * the log as it was or truncated — never cut with later logs left after it, which a restart
   * would have to refuse as a gap.
   */
  async truncateAfter(zxid: number): Promise<void> {
    await this.log?.close();
    this.log = null;
    this.rollAt = true;
    if (this.disk.findCut(zxid) === undefined) return; // no record after it
    this.disk.replaceFile(TRUNCATE_MARKER, Buffer.from(`${zxid}\n`)); // the commit point
    this.disk.finishTruncate();
  }

  /**
   * PERSIST-11 (SNAP, SYNC-4): replace the whole history by `base` (the snapshot of every txn up to
   * its zxid) and the `txns` after it, crash-atomically: both are written and synced under staged
   * names, the marker commits them, then they replace every old snapshot and log.
   */
  async install(base: { readonly tree: Tree; readonly zxid: number } | undefined, txns: readonly Txn[]): Promise<void> {
    await this.log?.close();
    this.log = null;
    const staged: { snapshot?: string; log?: string } = {};
    if (base) {
      staged.snapshot = `snapshot.${hex(base.zxid)}`;
      await this.writeSnapshot(base.tree, base.zxid, join(this.snapDir, staged.snapshot + STAGED));
    }
    if (txns.length) {
      staged.log = `log.${hex(txns[0]!.zxid)}`;
      const f = await this.disk.fs.open(join(this.logDir, staged.log + STAGED), 'w');
      try {
        await f.writev([logHeader(), ...records(txns)]);
        await f.sync();
      } finally {
        await f.close();
      }
    }
    this.disk.fsyncDir(this.logDir);
    this.disk.replaceFile(INSTALL_MARKER, Buffer.from(JSON.stringify(staged))); // the commit point
    this.disk.finishInstall();
    this.rollAt = true;
  }

  // ---------------------------------------------------------------- snapshots

  /**
   * PERSIST-6: write the tree as of `zxid`, durably, then start a new log file so that old logs
   * can be purged. The tree is an immutable value, so writes go on while this runs.
   */
  async snapshot(tree: Tree, zxid: number): Promise<void> {
    this.rollAt = true;
    const file = join(this.snapDir, `snapshot.${hex(zxid)}`);
    const start = performance.now();
    await this.writeSnapshot(tree, zxid, `${file}${TMP}`);
    this.disk.fs.renameSync(`${file}${TMP}`, file);
    this.disk.fsyncDir(this.snapDir);
    this.observer?.snapshotted(performance.now() - start);
  }

  /**
   * Write and sync a snapshot file at `path`, in pieces between which clients and peers are
   * served: a 100,000-znode tree serialized at once held the event loop for most of a second.
   * A tree that fills more than one piece is streamed to the file as it is encoded (a million
   * znodes held whole were 170 MB outside the heap, whose pressure set off full collections:
   * stalls of 100–300 ms); the header, whose CRC covers the body, is written last, before the
   * sync. A smaller one is written in one call, as it always was.
   */
  private async writeSnapshot(tree: Tree, zxid: number, path: string): Promise<void> {
    const steps = encodeTreeInPieces(tree, SNAPSHOT_CHUNK);
    let file: FileHandleLike | null = null;
    let at = SNAP_HEADER;
    let crc = 0;
    try {
      let step = steps.next();
      for (; !step.done; step = steps.next()) {
        if (step.value === undefined) {
          await this.pause();
          continue;
        }
        file ??= await this.disk.fs.open(path, 'w');
        for (const piece of step.value) {
          crc = crc32(piece, crc);
          await writeAll(file, piece, at); // the encoder fills this buffer again once resumed
          at += piece.length;
        }
      }
      const last = step.value;
      for (const piece of last) crc = crc32(piece, crc);
      if (file === null) {
        await this.pause(); // as before: the CRC's piece, then the file
        const tmp = await this.disk.fs.open(path, 'w');
        try {
          await tmp.writev([snapshotHeader(zxid, crc), ...last]);
          await tmp.sync();
        } finally {
          await tmp.close();
        }
        return;
      }
      for (const piece of last) {
        await writeAll(file, piece, at);
        at += piece.length;
      }
      await writeAll(file, snapshotHeader(zxid, crc), 0);
      await file.sync();
    } finally {
      await file?.close();
    }
  }

  /** autopurge: keep the newest `retain` (at least one) snapshots and the logs that reach past the oldest of them. */
  purge(retain: number): { snapshots: number; logs: number } {
    const { fs } = this.disk;
    const snaps = this.disk.listed(this.snapDir, 'snapshot');
    const gone = snaps.slice(0, Math.max(0, snaps.length - Math.max(1, retain)));
    const kept = snaps.slice(gone.length);
    for (const f of gone) fs.rmSync(join(this.snapDir, f));
    if (kept.length === 0) return { snapshots: gone.length, logs: 0 };
    const oldest = zxidOfName(kept[0]!);
    const logs = this.disk.listed(this.logDir, 'log');
    let removed = 0;
    // A log may go once the next one starts at or before the oldest kept snapshot's successor.
    for (let i = 0; i + 1 < logs.length && zxidOfName(logs[i + 1]!) <= oldest + 1; i++) {
      fs.rmSync(join(this.logDir, logs[i]!));
      removed++;
    }
    return { snapshots: gone.length, logs: removed };
  }

  async close(): Promise<void> {
    await this.log?.close();
    this.log = null;
  }
}

/**
 * Nodes encoded between two turns of the event loop while a snapshot is written: well under a
 * millisecond of work (a count, not a time, so that the simulator's runs stay the same).
 */
const SNAPSHOT_CHUNK = 1024;

/** `bytes` at `position`, however many writes it takes. */
async function writeAll(file: FileHandleLike, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await file.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}
