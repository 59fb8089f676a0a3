// `zabkit logdump FILE` and `zabkit snapdump FILE`: what Apache's TxnLogToolkit and
// SnapshotFormatter show, for Apache ZooKeeper's files and zabkit's own (told apart by their
// magic). Every record or znode is printed; a damaged one is named by its offset and what is
// wrong, the dump goes on where the frame allows and stops cleanly where it does not; exit 1 if
// anything was damaged. --json prints one JSON object a line, each with its `kind`.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DIGEST_VERSION as ZABKIT_DIGEST_VERSION, type Acl, type NodeKind, type Tree, type TxnOp } from '../tree/index.ts';
import { parseFlags, UsageError } from '../shell/args.ts';
import { magicOf, parseApacheName } from './apache-format.ts';
import { treeDigest } from './apache-digest.ts';
import { readApacheLog } from './apache-log.ts';
import { readApacheSnapshot, type SnapNode, type StatPersisted } from './apache-snapshot.ts';
import { kindOfOwner, statOfNode } from './apache-tree.ts';
import type { ApacheBody, ApacheTxn } from './apache-txn.ts';
import { aclJson, aclText, dataJson, dataText, hex, jsonLine, timeText } from './text.ts';
import { readZabkitLog, readZabkitSnapshot } from './zabkit-files.ts';

export const LOGDUMP_USAGE =
  'usage: zabkit logdump FILE [--json] — every record of a txn log, Apache ZooKeeper\'s (log.<zxid>) or zabkit\'s: time, session, cxid, zxid, type and content; a damaged record is named by its offset (exit 1); --json: one object a line';
export const SNAPDUMP_USAGE =
  'usage: zabkit snapdump FILE [--json] — every znode of a snapshot, Apache ZooKeeper\'s (snapshot.<zxid>[.gz]) or zabkit\'s, with its stat, data (text or base64) and ACL, then the sessions and the digest; damage is named by its offset (exit 1); --json: one object a line';

/** Lines out in batches: a million console.log calls cost more than the dump. */
class Printer {
  private lines: string[] = [];
  constructor(private readonly out: (s: string) => void) {}
  line(s: string): void {
    this.lines.push(s);
    if (this.lines.length >= 2000) this.flush();
  }
  flush(): void {
    if (this.lines.length) this.out(this.lines.join('\n'));
    this.lines = [];
  }
}

function fileArg(args: readonly string[]): { file: string; bytes: Buffer; json: boolean } {
  const { values, positionals } = parseFlags(args, { json: { type: 'boolean' }, help: { type: 'boolean' } }, true);
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'give the FILE to dump' : `one FILE at a time (got ${positionals.length})`);
  const file = positionals[0]!;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  return { file, bytes, json: values.json === true };
}

/** Run a dump: usage errors print the usage line (exit 2). */
async function guarded(name: string, usage: string, args: readonly string[], out: (s: string) => void, run: () => number): Promise<number> {
  if (args.includes('--help')) {
    out(usage);
    return 0;
  }
  try {
    return run();
  } catch (e) {
    if (e instanceof UsageError) {
      out(`zabkit ${name}: ${e.message}\n${usage}`);
      return 2;
    }
    throw e;
  }
}

// ---------------------------------------------------------------- logdump

export function runLogDump(args: readonly string[], out: (s: string) => void): Promise<number> {
  return guarded('logdump', LOGDUMP_USAGE, args, out, () => {
    const { file, bytes, json } = fileArg(args);
    const kind = magicOf(bytes);
    if (kind === 'apache-log') return dumpApacheLog(bytes, json, new Printer(out));
    if (kind === 'zabkit-log') return dumpZabkitLog(bytes, json, new Printer(out));
    if (kind.endsWith('snapshot') || kind === 'gzip' || kind === 'snappy') throw new UsageError(`${file} is a snapshot: dump it with 'zabkit snapdump'`);
    throw new UsageError(`${file} is not a txn log (its first bytes are neither Apache's ZKLG nor zabkit's ZBLG)`);
  });
}

function apacheBodyText(b: ApacheBody): string {
  switch (b.type) {
    case 'create':
    case 'create2':
      return `${b.path} data=${dataText(b.data)} acl=${aclText(b.acl)}${b.ephemeral ? ' ephemeral' : ''} parentCVersion=${b.parentCVersion === -1 ? '(none: a pre-3.3 create)' : b.parentCVersion}`;
    case 'createContainer':
      return `${b.path} data=${dataText(b.data)} acl=${aclText(b.acl)} parentCVersion=${b.parentCVersion}`;
    case 'createTTL':
      return `${b.path} data=${dataText(b.data)} acl=${aclText(b.acl)} parentCVersion=${b.parentCVersion} ttl=${b.ttl}`;
    case 'delete':
    case 'deleteContainer':
      return b.path;
    case 'setData':
    case 'reconfig':
      return `${b.path} data=${dataText(b.data)} version=${b.version}`;
    case 'setACL':
      return `${b.path} acl=${aclText(b.acl)} version=${b.version}`;
    case 'check':
      return `${b.path} version=${b.version}`;
    case 'createSession':
      return `timeout=${b.timeout}`;
    case 'closeSession':
      return b.paths === undefined ? '(no CloseSessionTxn)' : `paths2Delete=[${b.paths.join(', ')}]`;
    case 'error':
      return `err=${b.err}`;
    case 'multi':
      return `[${b.txns.map((t) => `${t.type} ${apacheBodyText(t)}`).join('; ')}]`;
  }
}

function apacheBodyJson(b: ApacheBody): Record<string, unknown> {
  const o: Record<string, unknown> = { ...b };
  if ('data' in b) {
    delete o.data;
    Object.assign(o, dataJson(b.data));
  }
  if ('acl' in b) o.acl = aclJson(b.acl);
  if (b.type === 'multi') o.txns = b.txns.map(apacheBodyJson);
  if (b.type === 'createTTL') o.ttl = Number(b.ttl);
  return o;
}

function apacheTxnLine(t: ApacheTxn, offset: number, json: boolean): string {
  const h = t.header;
  if (json) {
    return jsonLine({ kind: 'txn', offset, zxid: h.zxid, time: timeText(h.time), session: h.clientId, cxid: h.cxid, ...apacheBodyJson(t.body), ...(t.digest ? { digest: { version: t.digest.version, treeDigest: t.digest.treeDigest } } : {}) });
  }
  const digest = t.digest ? ` digest=v${t.digest.version}:${hex(t.digest.treeDigest)}` : '';
  return `${timeText(h.time)} session ${hex(h.clientId)} cxid ${hex(h.cxid)} zxid ${hex(h.zxid)} ${t.body.type} ${apacheBodyText(t.body)}${digest}`;
}

const damageLine = (offset: number, damage: string, json: boolean, resumable: boolean): string =>
  json ? jsonLine({ kind: 'damage', offset, damage, resumable }) : `DAMAGED at offset ${offset}: ${damage}${resumable ? '' : ' — the dump stops here'}`;

function dumpApacheLog(bytes: Buffer, json: boolean, p: Printer): number {
  const log = readApacheLog(bytes);
  if ('problem' in log) {
    p.line(damageLine(0, log.problem, json, false));
    p.flush();
    return 1;
  }
  const h = log.header;
  p.line(json ? jsonLine({ kind: 'header', format: 'apache', magic: 'ZKLG', version: h.version, dbid: Number(h.dbid) }) : `Apache ZooKeeper txn log, format version ${h.version}, dbid ${h.dbid}`);
  let txns = 0;
  let damaged = 0;
  for (const e of log.entries) {
    if ('txn' in e) {
      txns++;
      p.line(apacheTxnLine(e.txn, e.offset, json));
    } else {
      damaged++;
      p.line(damageLine(e.offset, e.damage, json, e.resumable));
    }
  }
  const rest = bytes.length - log.end;
  p.line(
    json
      ? jsonLine({ kind: 'summary', txns, damaged, end: log.end, size: bytes.length })
      : `${txns} txn(s), ${damaged} damaged record(s); records end at offset ${log.end} of ${bytes.length}${rest > 0 && damaged === 0 ? ` (the rest: ${rest} bytes of preallocated zeros)` : ''}`,
  );
  p.flush();
  return damaged > 0 ? 1 : 0;
}

function kindText(k: NodeKind): string {
  return k.type === 'ephemeral' ? `ephemeral(owner ${hex(k.owner)})` : k.type === 'ttl' ? `ttl(${k.ttl} ms)` : k.type;
}

function zabkitOpText(op: TxnOp): string {
  switch (op.type) {
    case 'create':
      return `${op.path} data=${dataText(op.data)} acl=${aclText(op.acl)} ${kindText(op.kind)} parentCreates=${op.parentCreates}${op.withStat ? ' withStat' : ''}`;
    case 'delete':
    case 'check':
      return op.path;
    case 'setData':
      return `${op.path} data=${dataText(op.data)} version=${op.version}`;
    case 'setACL':
      return `${op.path} acl=${aclText(op.acl)} aversion=${op.aversion}`;
    case 'createSession':
      return `timeout=${op.timeout}`;
    case 'closeSession':
      return `paths=[${op.paths.join(', ')}]`;
    case 'multi':
      return `[${op.ops.map((o) => `${o.type} ${zabkitOpText(o)}`).join('; ')}]`;
    case 'error':
      return `err=${op.err}${op.results ? ` results=[${op.results.join(', ')}]` : ''}`;
  }
}

function zabkitOpJson(op: TxnOp): Record<string, unknown> {
  const o: Record<string, unknown> = { ...op };
  if ('data' in op) {
    delete o.data;
    Object.assign(o, dataJson(op.data));
  }
  if ('acl' in op) o.acl = aclJson(op.acl);
  if (op.type === 'multi') o.ops = op.ops.map(zabkitOpJson);
  return o;
}

function dumpZabkitLog(bytes: Buffer, json: boolean, p: Printer): number {
  const log = readZabkitLog(bytes);
  if ('problem' in log) {
    p.line(damageLine(0, log.problem, json, false));
    p.flush();
    return 1;
  }
  p.line(json ? jsonLine({ kind: 'header', format: 'zabkit', magic: 'ZBLG', version: 1 }) : 'zabkit txn log, format 1 (zabkit keeps no cxid)');
  let txns = 0;
  let damaged = 0;
  for (const e of log.entries) {
    if ('txn' in e) {
      txns++;
      const t = e.txn;
      p.line(
        json
          ? jsonLine({ kind: 'txn', offset: e.offset, zxid: t.zxid, time: timeText(t.time), session: t.session, ...zabkitOpJson(t.op), ...(t.digest !== undefined ? { digest: { version: ZABKIT_DIGEST_VERSION, value: t.digest } } : {}) })
          : `${timeText(t.time)} session ${hex(t.session)} zxid ${hex(t.zxid)} ${t.op.type} ${zabkitOpText(t.op)}${t.digest !== undefined ? ` digest=${hex(t.digest)}` : ''}`,
      );
    } else {
      damaged++;
      p.line(damageLine(e.offset, e.damage, json, e.resumable));
      if (!e.resumable) break;
    }
  }
  p.line(json ? jsonLine({ kind: 'summary', txns, damaged, size: bytes.length }) : `${txns} txn(s), ${damaged} damaged record(s)`);
  p.flush();
  return damaged > 0 ? 1 : 0;
}

// ---------------------------------------------------------------- snapdump

export function runSnapDump(args: readonly string[], out: (s: string) => void): Promise<number> {
  return guarded('snapdump', SNAPDUMP_USAGE, args, out, () => {
    const { file, bytes, json } = fileArg(args);
    const kind = magicOf(bytes);
    if (kind === 'apache-snapshot' || kind === 'gzip' || kind === 'snappy') return dumpApacheSnapshot(file, bytes, json, new Printer(out));
    if (kind === 'zabkit-snapshot') return dumpZabkitSnapshot(bytes, json, new Printer(out));
    if (kind.endsWith('log')) throw new UsageError(`${file} is a txn log: dump it with 'zabkit logdump'`);
    throw new UsageError(`${file} is not a snapshot (its first bytes are neither Apache's ZKSN nor zabkit's ZBSN)`);
  });
}

interface Shown {
  readonly path: string;
  readonly data: Uint8Array | null;
  readonly acl: readonly Acl[];
  readonly stat: StatPersisted;
  readonly numChildren: number;
}

function kindOfStat(owner: bigint): string {
  try {
    const k = kindOfOwner(owner);
    return k.type === 'ephemeral' ? 'ephemeral' : k.type === 'ttl' ? `ttl ${k.ttl} ms` : k.type;
  } catch (e) {
    return (e as Error).message;
  }
}

function nodeLines(n: Shown, json: boolean): string[] {
  const s = n.stat;
  // What a client's Stat shows: cversion counts creates and deletes (stored: creates only).
  const cversion = s.cversion * 2 - n.numChildren;
  const length = n.data?.length ?? 0;
  if (json) {
    return [
      jsonLine({
        kind: 'znode',
        path: n.path,
        type: kindOfStat(s.ephemeralOwner),
        stat: { czxid: s.czxid, mzxid: s.mzxid, pzxid: s.pzxid, ctime: Number(s.ctime), mtime: Number(s.mtime), version: s.version, cversion, childCreates: s.cversion, aversion: s.aversion, ephemeralOwner: s.ephemeralOwner, dataLength: length, numChildren: n.numChildren },
        ...dataJson(n.data),
        acl: aclJson(n.acl),
      }),
    ];
  }
  return [
    `${n.path}  (${kindOfStat(s.ephemeralOwner)})`,
    `  czxid ${hex(s.czxid)}  mzxid ${hex(s.mzxid)}  pzxid ${hex(s.pzxid)}  ctime ${timeText(s.ctime)}  mtime ${timeText(s.mtime)}`,
    `  version ${s.version}  cversion ${cversion} (${s.cversion} child creates)  aversion ${s.aversion}  ephemeralOwner ${hex(s.ephemeralOwner)}  dataLength ${length}  numChildren ${n.numChildren}`,
    `  data ${dataText(n.data)}`,
    `  acl ${aclText(n.acl)}`,
  ];
}

function dumpApacheSnapshot(file: string, bytes: Buffer, json: boolean, p: Printer): number {
  const r = readApacheSnapshot(bytes);
  const s = r.snapshot;
  const named = parseApacheName(basename(file));
  if (r.header) {
    p.line(
      json
        ? jsonLine({ kind: 'header', format: 'apache', magic: 'ZKSN', version: r.header.version, dbid: Number(r.header.dbid), ...(named ? { zxid: named.zxid } : {}), ...(r.compressed ? { compressed: r.compressed } : {}) })
        : `Apache ZooKeeper snapshot, format version ${r.header.version}, dbid ${r.header.dbid}${named ? `, zxid ${hex(named.zxid)} (its name)` : ''}${r.compressed ? ', gzip' : ''}`,
    );
  }
  const children = new Map<string, number>();
  for (const n of s.nodes) if (n.path !== '/') children.set(parent(n.path), (children.get(parent(n.path)) ?? 0) + 1);
  const aclOf = (n: SnapNode) => (n.acl === -1n ? [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }] : (s.acls.get(n.acl) ?? []));
  const missing: string[] = [];
  if (!json) p.line(`znodes (${s.nodes.length}):`);
  for (const n of s.nodes) {
    if (n.acl !== -1n && !s.acls.has(n.acl)) missing.push(`${n.path}: ACL reference ${n.acl} is not in the ACL table`);
    for (const l of nodeLines({ path: n.path, data: n.data, acl: aclOf(n), stat: n.stat, numChildren: children.get(n.path) ?? 0 }, json)) p.line(l);
  }
  const ephemerals = new Map<bigint, number>();
  for (const n of s.nodes) {
    const o = n.stat.ephemeralOwner;
    if (kindOfStat(o) === 'ephemeral') ephemerals.set(o, (ephemerals.get(o) ?? 0) + 1);
  }
  if (!json) p.line(`sessions (${s.sessions.length}):`);
  for (const x of s.sessions) {
    const e = ephemerals.get(x.id) ?? 0;
    p.line(json ? jsonLine({ kind: 'session', id: x.id, timeout: x.timeout, ephemerals: e }) : `  ${hex(x.id)}  timeout ${x.timeout} ms  ${e} ephemeral(s)`);
  }
  if (!json) p.line(`acl lists (${s.acls.size}): ${[...s.acls].map(([ref, acl]) => `${ref} ${aclText(acl)}`).join(', ')}`);
  const own = treeDigest(s.nodes);
  if (s.digest) {
    const d = s.digest;
    p.line(
      json
        ? jsonLine({ kind: 'digest', zxid: d.zxid, version: d.version, digest: d.digest, nodesDigest: own })
        : `digest: zxid ${hex(d.zxid)}, version ${d.version}, ${hex(d.digest)} (of these nodes: ${hex(own)}${own === d.digest ? ', the same' : d.version === 2 ? '; a fuzzy snapshot may differ' : ''})`,
    );
  } else if (r.problems.length === 0) {
    p.line(json ? jsonLine({ kind: 'digest', digest: null, nodesDigest: own }) : `no digest (written before 3.6, or with digests off); of these nodes: ${hex(own)}`);
  }
  for (const m of missing) p.line(json ? jsonLine({ kind: 'damage', damage: m }) : `DAMAGED: ${m}`);
  for (const d of r.problems) p.line(damageLine(d.offset, d.reason, json, false));
  p.flush();
  return r.problems.length + missing.length > 0 ? 1 : 0;
}

const parent = (path: string): string => {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
};

function dumpZabkitSnapshot(bytes: Buffer, json: boolean, p: Printer): number {
  const r = readZabkitSnapshot(bytes);
  if ('problem' in r) {
    p.line(damageLine(0, r.problem, json, false));
    p.flush();
    return 1;
  }
  const t: Tree = r.tree;
  p.line(json ? jsonLine({ kind: 'header', format: 'zabkit', magic: 'ZBSN', version: 1, zxid: r.zxid }) : `zabkit snapshot, format 1, zxid ${hex(r.zxid)}`);
  if (!json) p.line(`znodes (${t.nodes.size}):`);
  for (const path of [...t.nodes.keys()].sort()) {
    const n = t.nodes.get(path)!;
    for (const l of nodeLines({ path, data: n.data, acl: n.acl, stat: statOfNode(n), numChildren: n.children.size }, json)) p.line(l);
  }
  if (!json) p.line(`sessions (${t.sessions.size}):`);
  for (const [id, s] of t.sessions) p.line(json ? jsonLine({ kind: 'session', id, timeout: s.timeout, ephemerals: s.ephemerals.size }) : `  ${hex(id)}  timeout ${s.timeout} ms  ${s.ephemerals.size} ephemeral(s)`);
  if (!json && t.quotas.size) p.line(`quotas: ${[...t.quotas].join(', ')}`);
  const apache = treeDigest([...t.nodes].map(([path, n]) => ({ path, data: n.data, stat: statOfNode(n) })));
  p.line(json ? jsonLine({ kind: 'digest', zabkitDigest: t.digest, apacheDigest: apache }) : `digest: ${hex(t.digest)} (zabkit's, TREE-27); as Apache 3.6+ would compute it: ${hex(apache)}`);
  p.flush();
  return 0;
}
