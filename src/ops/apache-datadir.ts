// An Apache ZooKeeper data directory as a whole, the way its FileTxnSnapLog restores one: the
// newest snapshot that reads whole (snapshot.<zxid>, parents first, sealed), then the txn logs
// from the one that starts at or before the snapshot's zxid, each txn after it applied in order —
// here with zabkit's apply. Apache's snapshots are fuzzy (taken while txns apply, so they may hold
// txns past the zxid in their name); replaying those again is what both apply functions allow.
// And the other way: an Apache data directory holding one snapshot of a zabkit tree, plus the
// epoch files a quorum member reads.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { apply, type Tree } from '../tree/index.ts';
import { usageOf, withUsage } from '../tree/quota.ts';
import { continues, epochOf } from '../zab/zxid.ts';
import { apacheName, DIGEST_VERSION, FILE_HEADER, hex64, parseApacheName } from './apache-format.ts';
import { treeDigest } from './apache-digest.ts';
import { readApacheLog, type LogEntry } from './apache-log.ts';
import { readApacheSnapshot, writeApacheSnapshot } from './apache-snapshot.ts';
import { ConversionError, snapshotOfTree, treeOfSnapshot, zxidNumber } from './apache-tree.ts';
import { txnOfApache } from './apache-txn-convert.ts';
import { DataDirError } from './zabkit-files.ts';

export interface ApacheData {
  readonly tree: Tree;
  readonly zxid: number;
  readonly snapshot?: { readonly file: string; readonly zxid: number };
  readonly txns: number;
  readonly acceptedEpoch?: number;
  readonly currentEpoch?: number;
  /** Said, not fatal: damaged snapshots skipped, a torn log tail, the digest comparison. */
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
}

/** dataDir/version-2, or the directory itself when it is the version-2 directory or holds Apache's files directly. */
export function versionDir(dir: string): string {
  const v2 = join(dir, 'version-2');
  if (existsSync(v2)) return v2;
  if (existsSync(dir) && readdirSync(dir).some((f) => parseApacheName(f))) return dir;
  return v2;
}

const byZxid = (dir: string, prefix: 'log' | 'snapshot'): { name: string; zxid: bigint }[] =>
  readdirSync(dir)
    .flatMap((name) => {
      const p = parseApacheName(name);
      return p && p.prefix === prefix ? [{ name, zxid: p.zxid }] : [];
    })
    .sort((a, b) => (a.zxid < b.zxid ? -1 : a.zxid > b.zxid ? 1 : 0));

function readEpoch(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8').trim();
  if (!/^\d+$/.test(text)) throw new DataDirError(`${file}: '${text.slice(0, 40)}' is not an epoch`);
  return Number(text);
}

/**
 * What Apache's DataTree does once a snapshot is read (setupQuota): each quota's stats node is
 * counted again from the subtree it covers (a fuzzy snapshot's may be off), data only.
 */
function withQuotaUsage(tree: Tree): Tree {
  let t = tree;
  for (const q of tree.quotas) {
    const u = usageOf(t.nodes, q);
    t = withUsage(t, q, u.count, u.bytes, true);
  }
  return t;
}

/** Restore an Apache data directory (snapshots in dataDir, logs in dataLogDir) onto a zabkit tree; throws DataDirError naming each problem. */
export function loadApacheDir(dataDir: string, dataLogDir = dataDir): ApacheData {
  const snapDir = versionDir(dataDir);
  const logDir = versionDir(dataLogDir);
  for (const d of new Set([snapDir, logDir])) if (!existsSync(d)) throw new DataDirError(`${d} does not exist: not an Apache ZooKeeper data directory`);
  const warnings: string[] = [];
  const notes: string[] = [];
  const snaps = byZxid(snapDir, 'snapshot').reverse();
  const logs = byZxid(logDir, 'log');
  if (snaps.length === 0 && logs.length === 0) throw new DataDirError(`${snapDir} holds no Apache ZooKeeper snapshot.* or log.* file`);
  if (snaps.length === 0) throw new DataDirError(`${snapDir} holds txn logs but no snapshot (Apache writes snapshot.0 at its first start, and refuses this too): the data directory is incomplete`);
  let base: { file: string; zxid: bigint; tree: Tree; digest?: { zxid: bigint; value: bigint } } | undefined;
  const skipped: string[] = [];
  for (const s of snaps) {
    const file = join(snapDir, s.name);
    const r = readApacheSnapshot(readFileSync(file));
    if (r.problems.length > 0) {
      skipped.push(`${file}: ${r.problems.map((p) => `offset ${p.offset}: ${p.reason}`).join('; ')}`);
      continue;
    }
    try {
      const t = treeOfSnapshot(r.snapshot);
      for (const w of t.warnings) warnings.push(`${file}: ${w}`);
      base = { file, zxid: s.zxid, tree: withQuotaUsage(t.tree), ...(r.snapshot.digest ? { digest: { zxid: r.snapshot.digest.zxid, value: r.snapshot.digest.digest } } : {}) };
      break;
    } catch (e) {
      if (!(e instanceof ConversionError)) throw e;
      skipped.push(`${file}: ${e.message}`);
    }
  }
  for (const s of skipped) (base ? warnings : notes).push(`skipped snapshot ${s}`);
  if (!base) throw new DataDirError(`no snapshot in ${snapDir} reads whole:\n  ${skipped.join('\n  ')}`);
  notes.push(`snapshot ${base.file} (zxid ${hex64(base.zxid)})`);
  // As Apache picks them: the newest log starting at or before the snapshot's zxid, and every later one.
  const first = logs.reduce((k, l, i) => (l.zxid <= base.zxid ? i : k), 0);
  const chosen = logs.slice(first);
  let tree = base.tree;
  const snapZxid = zxidNumber(base.zxid, base.file);
  let last = snapZxid;
  let count = 0;
  let lastDigest: { zxid: number; value: bigint } | undefined;
  for (let i = 0; i < chosen.length; i++) {
    const file = join(logDir, chosen[i]!.name);
    const bytes = readFileSync(file);
    const log = readApacheLog(bytes);
    const lastFile = i === chosen.length - 1;
    if ('problem' in log) {
      // A crash right after the newest log was created can leave it without a whole header;
      // Apache reads past it as the end of the history.
      if (lastFile && bytes.length < FILE_HEADER) {
        warnings.push(`${file}: ${bytes.length} bytes, no whole header: a log a crash cut short before its first record; ignored`);
        break;
      }
      throw new DataDirError(`${file}: ${log.problem}`);
    }
    for (const e of log.entries as LogEntry[]) {
      if ('damage' in e) {
        const where = `${file}: offset ${e.offset}: ${e.damage}`;
        // A torn last record of the last log was never acknowledged; Apache stops there too.
        if (!e.resumable && lastFile) {
          warnings.push(`${where}; the log ends there (a write a crash cut short)`);
          break;
        }
        throw new DataDirError(`${where}${e.resumable ? ' (Apache refuses to start on it too)' : '; later logs follow it, so txns would be lost'}`);
      }
      const zxid = zxidNumber(e.txn.header.zxid, file);
      if (zxid <= last) continue; // in the snapshot already (or logged twice)
      if (!continues(last, zxid)) throw new DataDirError(`${file}: offset ${e.offset}: txn ${hex64(zxid)} follows ${hex64(last)}: txns are missing between them`);
      try {
        tree = apply(tree, txnOfApache(e.txn, tree)).tree;
      } catch (err) {
        if (err instanceof ConversionError) throw new DataDirError(`${file}: offset ${e.offset}: ${err.message}`);
        throw err;
      }
      last = zxid;
      count++;
      if (e.txn.digest && e.txn.digest.version === DIGEST_VERSION) lastDigest = { zxid, value: e.txn.digest.treeDigest };
      else lastDigest = undefined;
    }
  }
  // A digest at zxid 0 is none (Apache writes it so at its first start, and ignores it too).
  if (count === 0 && base.digest && base.digest.zxid > 0n && base.digest.zxid === base.zxid) lastDigest = { zxid: snapZxid, value: base.digest.value };
  notes.push(`${count} txn(s) replayed from ${chosen.length} log(s), up to zxid ${hex64(last)}`);
  if (lastDigest && lastDigest.zxid === last) {
    // Apache's own digest of its tree at the last zxid: the replay must give the same tree.
    const ours = treeDigest(snapshotOfTree(tree, last).nodes);
    if (ours !== lastDigest.value) {
      throw new DataDirError(`the replayed tree's digest ${hex64(ours)} is not the ${hex64(lastDigest.value)} Apache logged at zxid ${hex64(last)}: the import would not be Apache's tree`);
    }
    notes.push(`digest at zxid ${hex64(last)} matches Apache's (${hex64(ours)})`);
  } else {
    notes.push('no Apache digest at the last zxid to compare with (digests off, or logged before 3.6)');
  }
  const acceptedEpoch = readEpoch(join(snapDir, 'acceptedEpoch'));
  const currentEpoch = readEpoch(join(snapDir, 'currentEpoch'));
  return {
    tree,
    zxid: last,
    snapshot: { file: base.file, zxid: snapZxid },
    txns: count,
    ...(acceptedEpoch !== undefined ? { acceptedEpoch } : {}),
    ...(currentEpoch !== undefined ? { currentEpoch } : {}),
    warnings,
    notes,
  };
}

/** Write a file durably: a temporary name, fsync, rename, fsync the directory. */
function writeDurably(dir: string, name: string, bytes: Uint8Array): void {
  const tmp = join(dir, `${name}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  const d = openSync(dir, 'r');
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
}

/**
 * An Apache data directory holding `tree` as of `zxid`: version-2/snapshot.<zxid> with its digest,
 * and acceptedEpoch/currentEpoch (decimal, as QuorumPeer writes them; a standalone server ignores them).
 */
export function writeApacheDir(dataDir: string, tree: Tree, zxid: number, epochs: { readonly accepted: number; readonly current: number }, options: { readonly gzip?: boolean } = {}): string {
  const dir = join(dataDir, 'version-2');
  mkdirSync(dir, { recursive: true });
  const name = `${apacheName('snapshot', zxid)}${options.gzip ? '.gz' : ''}`;
  writeDurably(dir, name, writeApacheSnapshot(snapshotOfTree(tree, zxid), options));
  // An epoch below the last zxid's makes a quorum member refuse to start.
  const floor = epochOf(zxid);
  writeDurably(dir, 'acceptedEpoch', Buffer.from(String(Math.max(epochs.accepted, epochs.current, floor))));
  writeDurably(dir, 'currentEpoch', Buffer.from(String(Math.max(epochs.current, floor))));
  return join(dir, name);
}

