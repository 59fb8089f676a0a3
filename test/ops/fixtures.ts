// Histories for the tests of src/ops: random writes of every kind prepared and applied by
// src/tree (as a leader would), giving zabkit txns and the tree after each, and an Apache data
// directory written from such a history with the writers under test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { apacheName, DIGEST_VERSION } from '../../src/ops/apache-format.ts';
import { treeDigest } from '../../src/ops/apache-digest.ts';
import { writeApacheLog } from '../../src/ops/apache-log.ts';
import { writeApacheSnapshot } from '../../src/ops/apache-snapshot.ts';
import { snapshotOfTree } from '../../src/ops/apache-tree.ts';
import { apacheOfTxn } from '../../src/ops/apache-txn-convert.ts';
import type { ApacheTxn } from '../../src/ops/apache-txn.ts';
import { apply, emptyTree, errorTxn, OPEN_ACL, plainNode, prepare, type Acl, type Tree, type Txn, type WriteOp } from '../../src/tree/index.ts';

export const SESSIONS = [0x1000048c3910000n, 0x2000048c3910001n];
const TOP = ['/a', '/b', '/c', '/d'];
const DEEP = ['/a/x', '/a/y', '/b/x', '/c/k', '/zookeeper/quota/a', '/zookeeper/quota/a/zookeeper_limits', '/zookeeper/quota/a/zookeeper_stats'];
const SEQ_BASES = ['/a/s-', '/b/'];
const ACLS: readonly (readonly Acl[])[] = [
  OPEN_ACL,
  [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }],
  [{ perms: 31, id: { scheme: 'digest', id: 'u:Jq7wMyA/w2Vd5WIDAKdu4OIIFEQ=' } }],
  [
    { perms: 3, id: { scheme: 'ip', id: '127.0.0.1' } },
    { perms: 31, id: { scheme: 'world', id: 'anyone' } },
  ],
];

// Mostly writes that succeed (existing parents, any version); failures are logged too, as error txns.
const path = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...TOP) }, { weight: 3, arbitrary: fc.constantFrom(...DEEP) });
const version = fc.oneof({ weight: 4, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }) });
const data = fc.oneof(fc.constant(null), fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 12 }), fc.constantFrom('count=5,bytes=-1', 'hello', 'ünï').map((s) => new TextEncoder().encode(s)));
const acl = fc.constantFrom(...ACLS);
const create: fc.Arbitrary<WriteOp> = fc
  .record({ path: fc.oneof(path, fc.constantFrom(...SEQ_BASES)), flags: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 6 }) }), data, acl, plain: fc.boolean(), ttl: fc.integer({ min: 1, max: 100_000 }) })
  .map((o): WriteOp => {
    if (o.flags === 4) return { op: 'createContainer', path: o.path, flags: 4, data: o.data, acl: o.acl };
    if (o.flags >= 5) return { op: 'createTTL', path: o.path, flags: o.flags, data: o.data, acl: o.acl, ttl: o.ttl };
    return { op: o.plain ? 'create' : 'create2', path: o.path, flags: o.flags, data: o.data, acl: o.acl };
  });
const simple: fc.Arbitrary<WriteOp> = fc.oneof(
  { weight: 4, arbitrary: create },
  { weight: 2, arbitrary: fc.record({ path, version }).map((o): WriteOp => ({ op: 'delete', ...o })) },
  { weight: 2, arbitrary: fc.record({ path, version, data }).map((o): WriteOp => ({ op: 'setData', ...o })) },
  { weight: 1, arbitrary: fc.record({ path, version }).map((o): WriteOp => ({ op: 'check', ...o })) },
);
const write: fc.Arbitrary<WriteOp> = fc.oneof(
  { weight: 8, arbitrary: simple },
  { weight: 1, arbitrary: fc.record({ path, version, acl }).map((o): WriteOp => ({ op: 'setACL', path: o.path, version: o.version, acl: o.acl })) },
  { weight: 2, arbitrary: fc.array(simple, { minLength: 1, maxLength: 3 }).map((ops): WriteOp => ({ op: 'multi', ops })) },
  { weight: 1, arbitrary: fc.constantFrom<WriteOp>({ op: 'closeSession' }, { op: 'createSession', timeout: 30_000 }) },
);
export const steps = fc.array(fc.record({ session: fc.constantFrom(...SESSIONS), write }), { minLength: 1, maxLength: 40 });

export interface History {
  readonly txns: readonly Txn[];
  /** trees[i]: the tree once txns[0..i) are applied (trees[0] is the empty tree). */
  readonly trees: readonly Tree[];
}

/** Prepare and apply each write as a leader would; a failed write is logged as its error txn. */
export function history(writes: readonly { readonly session: bigint; readonly write: WriteOp }[], epoch = 0): History {
  let tree = emptyTree();
  const txns: Txn[] = [];
  const trees: Tree[] = [tree];
  // Both sessions, and a few nodes for the random writes to find.
  const setup: { session: bigint; write: WriteOp }[] = [
    ...SESSIONS.map((session) => ({ session, write: { op: 'createSession', timeout: 30_000 } as WriteOp })),
    ...['/a', '/b', '/c', '/a/x', '/b/x'].map((p) => ({ session: SESSIONS[0]!, write: { op: 'create2', path: p, flags: 0, data: null, acl: OPEN_ACL } as WriteOp })),
  ];
  const all = [...setup, ...writes];
  for (const w of all) {
    const zxid = epoch * 2 ** 32 + txns.length + 1;
    const header = { session: w.session, auth: [{ scheme: 'digest', id: 'u:Jq7wMyA/w2Vd5WIDAKdu4OIIFEQ=' }], zxid, time: 1_796_679_974_000 + zxid };
    const p = prepare(tree, { ...header, write: w.write }, { extendedTypes: true, enforceQuota: false, maxDataBytes: 0xfffff });
    const txn = p.ok ? p.txn : errorTxn(header, p);
    tree = apply(tree, txn).tree;
    txns.push(txn);
    trees.push(tree);
  }
  return { txns, trees };
}

/** Each txn as Apache logs it, with the digest of the tree after it as Apache 3.6+ would. */
export function apacheTxns(h: History): ApacheTxn[] {
  return h.txns.map((t, i) => ({ ...apacheOfTxn(t, i), digest: { version: DIGEST_VERSION, treeDigest: treeDigest(snapshotOfTree(h.trees[i + 1]!, t.zxid).nodes) } }));
}

/**
 * An Apache data directory of history `h`: snapshot.<zxid of txn k> holding the tree after txn
 * k + fuzz (a fuzzy snapshot, as Apache takes them while txns apply), and the logs `cuts` split the
 * txns into (each log named by its first zxid). Returns version-2.
 */
export function writeApacheData(dir: string, h: History, k: number, fuzz = 0, cuts: readonly number[] = []): string {
  const v2 = join(dir, 'version-2');
  mkdirSync(v2, { recursive: true });
  const zxid = k === 0 ? 0 : h.txns[k - 1]!.zxid;
  const inner = Math.min(h.txns.length, k + fuzz);
  const snap = snapshotOfTree(h.trees[inner]!, zxid);
  writeFileSync(join(v2, apacheName('snapshot', zxid)), writeApacheSnapshot({ ...snap, digest: { ...snap.digest!, zxid: BigInt(inner === 0 ? 0 : h.txns[inner - 1]!.zxid) } }));
  const entries = apacheTxns(h);
  const bounds = [0, ...[...new Set(cuts)].filter((c) => c > 0 && c < entries.length).sort((a, b) => a - b), entries.length];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const part = entries.slice(bounds[i], bounds[i + 1]);
    if (part.length) writeFileSync(join(v2, apacheName('log', part[0]!.header.zxid)), writeApacheLog(part, { prealloc: 4096 }));
  }
  return v2;
}

/** Two trees hold the same znodes (data, ACL, kind, stat, children), sessions and quotas. */
export function expectSameTree(a: Tree, b: Tree): void {
  expect([...b.nodes.keys()].sort()).toEqual([...a.nodes.keys()].sort());
  for (const [p, n] of a.nodes) {
    const m = b.nodes.get(p)!;
    expect({ ...plainNode(m), children: [...m.children].sort(), data: m.data === null ? null : [...m.data] }, p).toEqual({ ...plainNode(n), children: [...n.children].sort(), data: n.data === null ? null : [...n.data] });
  }
  const sessions = (t: Tree) => [...t.sessions].map(([id, s]) => [id, s.timeout, [...s.ephemerals].sort()]).sort((x, y) => (x[0]! < y[0]! ? -1 : 1));
  expect(sessions(b)).toEqual(sessions(a));
  expect([...b.quotas].sort()).toEqual([...a.quotas].sort());
  expect(b.digest).toBe(a.digest);
}
