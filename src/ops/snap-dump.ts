// `zabkit snapdump`'s output for a snapshot: Apache's (SnapshotFormatter's content: every znode
// with its stat, then the sessions and the digest) and zabkit's, text or --json.
import { basename } from 'node:path';
import type { Acl, Tree } from '../tree/index.ts';
import { parseApacheName } from './apache-format.ts';
import { treeDigest } from './apache-digest.ts';
import { readApacheSnapshot, type SnapNode, type StatPersisted } from './apache-snapshot.ts';
import { kindOfOwner, statOfNode } from './apache-tree.ts';
import { damageLine, type Printer } from './printer.ts';
import { aclJson, aclText, dataJson, dataText, hex, jsonLine, timeText } from './text.ts';
import { readZabkitSnapshot } from './zabkit-files.ts';

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

export function dumpApacheSnapshot(file: string, bytes: Buffer, json: boolean, p: Printer): number {
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
        : d.zxid === 0n
          ? `digest: empty (zxid 0, as Apache writes it before its first txn); of these nodes: ${hex(own)}`
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

export function dumpZabkitSnapshot(bytes: Buffer, json: boolean, p: Printer): number {
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
