// zabkit's own data files read without changing them (src/shell/storage-format.ts has the formats):
// each log record with its offset, for `zabkit logdump`, and what a server would recover from a
// data directory, for `zabkit export` — storage's own recovery cuts damaged logs and rolls
// markers forward, which a tool reading someone's data must not do.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { apply, deserializeTree, emptyTree, type Tree, type Txn } from '../tree/index.ts';
import { checkSnapshot, hex, INSTALL_MARKER, LOG_HEADER, SNAP_HEADER, TRUNCATE_MARKER, zxidOfName } from '../shell/storage-format.ts';
import { decodeTxn } from '../wire/txn.ts';
import { continues } from '../zab/zxid.ts';
import { magicOf } from './apache-format.ts';

export type ZabkitLogEntry = { readonly offset: number; readonly txn: Txn } | { readonly offset: number; readonly damage: string; readonly resumable: boolean };

/** A zabkit log's records, [u32 length][u32 crc32][txn] after an 8-byte header; damage named. */
export function readZabkitLog(b: Uint8Array): { readonly entries: readonly ZabkitLogEntry[] } | { readonly problem: string } {
  if (magicOf(b) !== 'zabkit-log' || b.length < LOG_HEADER) return { problem: 'not a zabkit txn log (no ZBLG header)' };
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (view.getUint32(4) !== 1) return { problem: `zabkit txn log format ${view.getUint32(4)}, this build reads 1` };
  const entries: ZabkitLogEntry[] = [];
  let at = LOG_HEADER;
  while (at < b.length) {
    if (b.length - at < 8) {
      entries.push({ offset: at, damage: `torn record header: ${b.length - at} bytes left`, resumable: false });
      break;
    }
    const n = view.getUint32(at);
    if (n > b.length - at - 8) {
      entries.push({ offset: at, damage: `torn record: length ${n}, ${b.length - at - 8} bytes left`, resumable: false });
      break;
    }
    const payload = b.subarray(at + 8, at + 8 + n);
    const stored = view.getUint32(at + 4);
    const computed = crc32(payload);
    if (stored !== computed) {
      entries.push({ offset: at, damage: `crc32 mismatch: stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)}`, resumable: true });
    } else {
      const t = decodeTxn(payload);
      entries.push(t.ok ? { offset: at, txn: t.value } : { offset: at, damage: `undecodable txn: ${t.error}`, resumable: true });
    }
    at += 8 + n;
  }
  return { entries };
}

/** A zabkit snapshot file's tree and zxid, or what is wrong with it. */
export function readZabkitSnapshot(b: Buffer): { readonly zxid: number; readonly tree: Tree } | { readonly problem: string } {
  const head = checkSnapshot(b);
  if ('problem' in head) return head;
  const loaded = deserializeTree(b.subarray(SNAP_HEADER));
  return loaded.ok ? { zxid: head.zxid, tree: loaded.tree } : { problem: loaded.error };
}

const listed = (dir: string, prefix: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.startsWith(`${prefix}.`) && /^[0-9a-f]{16}$/.test(f.slice(prefix.length + 1)))
    .sort();

export interface ZabkitData {
  readonly tree: Tree;
  readonly zxid: number;
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  /** Said, not fatal: skipped snapshots, a torn log tail. */
  readonly warnings: readonly string[];
  readonly txns: number;
  readonly snapshotZxid?: number;
}

export class DataDirError extends Error {}

function readEpoch(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8').trim();
  if (!/^\d+$/.test(text)) throw new DataDirError(`${file}: '${text.slice(0, 40)}' is not an epoch`);
  return Number(text);
}

/** What `zabkit server` would recover from these directories (their version-2), read only. */
export function loadZabkitDir(dataDir: string, dataLogDir = dataDir): ZabkitData {
  const snapDir = join(dataDir, 'version-2');
  const logDir = join(dataLogDir, 'version-2');
  for (const d of new Set([snapDir, logDir])) if (!existsSync(d)) throw new DataDirError(`${d} does not exist: not a zabkit data directory`);
  for (const m of [INSTALL_MARKER, TRUNCATE_MARKER]) {
    if (existsSync(join(snapDir, m))) throw new DataDirError(`${join(snapDir, m)}: a SNAP install or truncation was cut short; start 'zabkit server' on this directory once (it finishes the job), then export`);
  }
  const warnings: string[] = [];
  let base: { zxid: number; tree: Tree } | undefined;
  for (const name of listed(snapDir, 'snapshot').reverse()) {
    const file = join(snapDir, name);
    const r = readZabkitSnapshot(readFileSync(file));
    if ('problem' in r) {
      warnings.push(`${file}: skipped (${r.problem})`);
      continue;
    }
    base = r;
    break;
  }
  let tree = base?.tree ?? emptyTree();
  const after = base?.zxid ?? 0;
  let last = after;
  let count = 0;
  const logs = listed(logDir, 'log');
  for (let i = 0; i < logs.length; i++) {
    const next = logs[i + 1];
    if (next !== undefined && zxidOfName(next) <= after + 1) continue; // the snapshot holds all of it
    const file = join(logDir, logs[i]!);
    const log = readZabkitLog(readFileSync(file));
    if ('problem' in log) throw new DataDirError(`${file}: ${log.problem}`);
    let cut = false;
    for (const e of log.entries) {
      if ('damage' in e) {
        // The server cuts its log here: nothing after a damaged record was acknowledged.
        warnings.push(`${file}: offset ${e.offset}: ${e.damage}; the records from there on are not exported (the server would cut the log there)`);
        cut = true;
        break;
      }
      if (e.txn.zxid <= after) continue;
      if (!continues(last, e.txn.zxid)) throw new DataDirError(`${file}: txn ${hex(e.txn.zxid)} follows ${hex(last)}: txns are missing`);
      tree = apply(tree, e.txn).tree;
      last = e.txn.zxid;
      count++;
    }
    if (cut) break;
  }
  const acceptedEpoch = readEpoch(join(snapDir, 'acceptedEpoch')) ?? 0;
  const currentEpoch = readEpoch(join(snapDir, 'currentEpoch')) ?? 0;
  return { tree, zxid: last, acceptedEpoch, currentEpoch, warnings, txns: count, ...(base ? { snapshotZxid: base.zxid } : {}) };
}
