// TREE-27: the tree digest. apply keeps it incrementally; it must equal the digest summed from
// scratch after every txn of random histories (quotas, ephemerals, containers, TTL nodes, ACLs,
// multis, closes, and apply's side effects on failure), survive a snapshot, move on every write
// that changes a node, and not depend on how a tree came to be.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  apply,
  CreateMode,
  deserializeTree,
  emptyTree,
  NameSet,
  plainNode,
  nodeHash,
  OPEN_ACL,
  prepare,
  serializeTree,
  treeDigest,
  type Tree,
  type TreeConfig,
  type Txn,
  type TxnOp,
  type WriteOp,
  type Znode,
} from '../../src/tree/index.ts';
import { bytes, Harness } from './harness.ts';

const CONFIG: TreeConfig = { extendedTypes: true, enforceQuota: false, maxDataBytes: 0xfffff };
const SESSIONS = [0x11n, 0x22n];
const QUOTA = '/zookeeper/quota/a';
const PATHS = ['/a', '/b', '/a/x', '/a/y', '/b/x', '/a/x/z', QUOTA, `${QUOTA}/zookeeper_limits`, `${QUOTA}/zookeeper_stats`, '/zookeeper/config', '/'];

const fromScratch = (t: Tree): number => treeDigest(t.nodes);

/** A step: a client write through prepare + apply, or a txn straight into apply (what only a replay or a bug makes). */
type Step = { readonly kind: 'write'; readonly session: bigint; readonly write: WriteOp } | { readonly kind: 'raw'; readonly op: TxnOp };

const path = fc.constantFrom(...PATHS);
const version = fc.integer({ min: -1, max: 2 });
const data = fc.constantFrom('', 'x', 'hello', 'ünï', 'count=3,bytes=-1');
const acl = fc.constantFrom(OPEN_ACL, [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }], [{ perms: 31, id: { scheme: 'ip', id: '10.0.0.0/8' } }, ...OPEN_ACL]);
const create: fc.Arbitrary<WriteOp> = fc
  .record({ path: fc.oneof(path, fc.constantFrom('/a/s-', '/b/')), flags: fc.integer({ min: 0, max: 6 }), data, acl })
  .map((o): WriteOp =>
    o.flags === CreateMode.CONTAINER
      ? { op: 'createContainer', path: o.path, data: bytes(o.data), acl: o.acl, flags: o.flags }
      : o.flags >= CreateMode.PERSISTENT_WITH_TTL
        ? { op: 'createTTL', path: o.path, data: bytes(o.data), acl: o.acl, flags: o.flags, ttl: 5000 }
        : { op: 'create2', path: o.path, data: bytes(o.data), acl: o.acl, flags: o.flags },
  );
const simple: fc.Arbitrary<WriteOp> = fc.oneof(
  { weight: 4, arbitrary: create },
  { weight: 2, arbitrary: fc.record({ path, version }).map((o): WriteOp => ({ op: 'delete', ...o })) },
  { weight: 3, arbitrary: fc.record({ path, version, data }).map((o): WriteOp => ({ op: 'setData', path: o.path, version: o.version, data: bytes(o.data) })) },
  { weight: 1, arbitrary: fc.record({ path, version, acl }).map((o): WriteOp => ({ op: 'setACL', ...o })) },
  { weight: 1, arbitrary: fc.record({ path, version }).map((o): WriteOp => ({ op: 'check', ...o })) },
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('write' as const), session: fc.constantFrom(...SESSIONS), write: simple }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      session: fc.constantFrom(...SESSIONS),
      write: fc.array(simple, { minLength: 1, maxLength: 4 }).map((ops): WriteOp => ({ op: 'multi', ops })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('write' as const), session: fc.constantFrom(...SESSIONS), write: fc.constant<WriteOp>({ op: 'closeSession' }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('write' as const), session: fc.constantFrom(...SESSIONS), write: fc.constant<WriteOp>({ op: 'createSession', timeout: 10_000 }) }) },
  // TREE-10's replayed create (the node is there: only the parent's counter moves) and a delete
  // of a node that is not there (the parent's pzxid still moves): failures that change the tree.
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.record({ path, parentCreates: fc.integer({ min: 0, max: 20 }) }).map(
        (o): Step => ({ kind: 'raw', op: { type: 'create', path: o.path, data: bytes('r'), acl: OPEN_ACL, kind: { type: 'persistent' }, parentCreates: o.parentCreates, withStat: false } }),
      ),
      path.map((p): Step => ({ kind: 'raw', op: { type: 'delete', path: p } })),
    ),
  },
);

const seen = { quotaStats: 0, setACL: 0, ephemeralsClosed: 0, replayedCreates: 0, multis: 0, ttl: 0, container: 0 };

/** A quota on /a (TREE-24): its limits and stats nodes, which later writes under /a update. */
const QUOTA_SETUP: readonly Step[] = [
  [QUOTA, ''],
  [`${QUOTA}/zookeeper_limits`, 'count=10,bytes=-1'],
  [`${QUOTA}/zookeeper_stats`, ''],
].map(([p, d]): Step => ({ kind: 'write', session: SESSIONS[0]!, write: { op: 'create2', path: p!, data: bytes(d!), acl: OPEN_ACL, flags: 0 } }));

function run(steps: readonly Step[]): Tree {
  let tree = emptyTree();
  let zxid = 0;
  const txn = (op: TxnOp, session: bigint): Txn => ({ zxid, time: 1_000 + zxid, session, op });
  for (const s of SESSIONS) {
    zxid++;
    tree = apply(tree, txn({ type: 'createSession', timeout: 10_000 }, s)).tree;
  }
  for (const st of steps) {
    zxid++;
    const before = tree;
    if (st.kind === 'raw') {
      // Only what fails: a create of a node that is there, a delete of one that is not (other
      // raw txns could make trees prepare never would: children of ephemerals, orphans).
      const there = tree.nodes.has(st.op.type === 'create' || st.op.type === 'delete' ? st.op.path : '');
      if (st.op.type === 'create' ? !there : there) continue;
      tree = apply(tree, txn(st.op, 0n)).tree;
      if (st.op.type === 'create' && before.nodes.has(st.op.path) && tree !== before) seen.replayedCreates++;
    } else {
      const p = prepare(tree, { session: st.session, auth: [], zxid, time: 1_000 + zxid, write: st.write }, CONFIG);
      if (!p.ok) continue;
      const a = apply(tree, p.txn);
      // The outcome prepare hands on for a multi (the leader's speculative apply) has apply's digest.
      if (p.applied) expect(p.applied.tree.digest).toBe(a.tree.digest);
      tree = a.tree;
      const ops = p.txn.op.type === 'multi' ? p.txn.op.ops : [p.txn.op];
      if (p.txn.op.type === 'multi') seen.multis++;
      for (const op of ops) {
        if (op.type === 'setACL') seen.setACL++;
        if (op.type === 'create' && op.kind.type === 'ttl') seen.ttl++;
        if (op.type === 'create' && op.kind.type === 'container') seen.container++;
        if (op.type === 'closeSession' && op.paths.length > 0) seen.ephemeralsClosed++;
      }
      const stats = `${QUOTA}/zookeeper_stats`;
      if (before.nodes.get(stats) && tree.nodes.get(stats) !== before.nodes.get(stats)) seen.quotaStats++;
    }
    expect(tree.digest, JSON.stringify(st, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))).toBe(fromScratch(tree)); // TREE-27
  }
  return tree;
}

describe('the tree digest (TREE-27)', () => {
  it('kept by apply equals the digest recomputed from scratch, after every txn of 500 random histories, and after a snapshot', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(step, { minLength: 1, maxLength: 60, size: 'max' }), (quota, steps) => {
        const tree = run(quota ? [...QUOTA_SETUP, ...steps] : steps);
        const loaded = deserializeTree(serializeTree(tree));
        if (!loaded.ok) throw new Error(loaded.error);
        expect(loaded.tree.digest).toBe(tree.digest);
      }),
      { numRuns: 500, seed: 20261206 },
    );
    // The histories reached what the digest must follow (40 to 243 of each with this seed).
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(20);
  });

  it('changes with every write that changes a node, and not with those that change none', () => {
    const h = new Harness(CONFIG);
    const changes = (write: () => unknown): boolean => {
      const before = h.tree.digest;
      write();
      expect(h.tree.digest).toBe(fromScratch(h.tree));
      return h.tree.digest !== before;
    };
    expect(changes(() => h.session(7n))).toBe(false); // sessions are not nodes
    expect(changes(() => h.create(7n, '/p', { data: 'v' }))).toBe(true);
    expect(changes(() => h.create(7n, '/p/e', { flags: CreateMode.EPHEMERAL }))).toBe(true);
    expect(changes(() => h.create(7n, '/p/s-', { flags: CreateMode.PERSISTENT_SEQUENTIAL }))).toBe(true);
    expect(changes(() => h.write(7n, { op: 'createContainer', path: '/c', data: null, acl: OPEN_ACL, flags: CreateMode.CONTAINER }))).toBe(true);
    expect(changes(() => h.write(7n, { op: 'createTTL', path: '/t', data: null, acl: OPEN_ACL, flags: CreateMode.PERSISTENT_WITH_TTL, ttl: 100 }))).toBe(true);
    // The same bytes again: version, mzxid and mtime still move.
    expect(changes(() => h.write(7n, { op: 'setData', path: '/p', data: bytes('v'), version: -1 }))).toBe(true);
    expect(changes(() => h.write(7n, { op: 'setACL', path: '/p', acl: OPEN_ACL, version: -1 }))).toBe(true);
    expect(changes(() => h.write(7n, { op: 'check', path: '/p', version: -1 }))).toBe(false);
    expect(changes(() => h.write(7n, { op: 'multi', ops: [{ op: 'create', path: '/m', data: null, acl: OPEN_ACL, flags: 0 }, { op: 'delete', path: '/m', version: -1 }] }))).toBe(true);
    expect(changes(() => h.write(7n, { op: 'delete', path: '/c', version: -1 }))).toBe(true);
    // A quota: the stats node's data follows every write in the subtree.
    expect(changes(() => h.create(7n, '/zookeeper/quota/p'))).toBe(true);
    expect(changes(() => h.create(7n, '/zookeeper/quota/p/zookeeper_limits', { data: 'count=10,bytes=-1' }))).toBe(true);
    expect(changes(() => h.create(7n, '/zookeeper/quota/p/zookeeper_stats'))).toBe(true);
    const stats = () => h.tree.nodes.get('/zookeeper/quota/p/zookeeper_stats')!.data;
    const usage = stats();
    expect(changes(() => h.write(7n, { op: 'setData', path: '/p', data: bytes('longer'), version: -1 }))).toBe(true);
    expect(stats()).not.toEqual(usage);
    // A close deletes the session's ephemerals.
    expect(changes(() => h.write(7n, { op: 'closeSession' }))).toBe(true);
    expect(h.tree.nodes.has('/p/e')).toBe(false);
    // A failed write is logged as an error txn: it changes nothing.
    const before = h.tree.digest;
    expect(apply(h.tree, { zxid: 99, time: 99, session: 7n, op: { type: 'error', err: -101 } }).tree.digest).toBe(before);
  });

  it('hashes the path, the data and each stat field apply sets; not the ACL or the children', () => {
    const base = new Harness(CONFIG);
    base.session(7n);
    base.create(7n, '/n', { data: 'abcde' });
    const n = plainNode(base.tree.nodes.get('/n')!); // spread below: a compact node's fields are getters
    const h = nodeHash('/n', n);
    const variants: [string, string, Znode][] = [
      ['path', '/m', n],
      ['data', '/n', { ...n, data: bytes('abcdf') }],
      ['data length', '/n', { ...n, data: bytes('abcde\0') }],
      ['null data', '/n', { ...n, data: null }],
      ['empty data', '/n', { ...n, data: new Uint8Array(0) }],
      ['ephemeral', '/n', { ...n, kind: { type: 'ephemeral', owner: 7n } }],
      ['owner', '/n', { ...n, kind: { type: 'ephemeral', owner: 7n + (1n << 40n) } }],
      ['container', '/n', { ...n, kind: { type: 'container' } }],
      ['ttl', '/n', { ...n, kind: { type: 'ttl', ttl: 1 } }],
      ['czxid', '/n', { ...n, czxid: n.czxid + 2 ** 32 }],
      ['mzxid', '/n', { ...n, mzxid: n.mzxid + 1 }],
      ['pzxid', '/n', { ...n, pzxid: n.pzxid + 1 }],
      ['ctime', '/n', { ...n, ctime: n.ctime + 1 }],
      ['mtime', '/n', { ...n, mtime: n.mtime + 1 }],
      ['version', '/n', { ...n, version: -1 }],
      ['aversion', '/n', { ...n, aversion: n.aversion + 1 }],
      ['childCreates', '/n', { ...n, childCreates: n.childCreates + 1 }],
    ];
    const hashes = new Set([h]);
    for (const [what, p, m] of variants) {
      expect(nodeHash(p, m), what).not.toBe(h);
      hashes.add(nodeHash(p, m));
    }
    expect(hashes.size).toBe(variants.length + 1);
    expect(nodeHash('/n', { ...n, acl: [] })).toBe(h);
    expect(nodeHash('/n', { ...n, children: NameSet.from(n.children, '/n').addPath('/n/x', 3) })).toBe(h);
  });

  it('equal trees have equal digests, however they came to be; a tree one byte apart does not', () => {
    // Two creates in one multi, or the same two txns one at a time in the other order.
    const mk = (path: string, parentCreates: number): TxnOp => ({ type: 'create', path, data: bytes(path), acl: OPEN_ACL, kind: { type: 'persistent' }, parentCreates, withStat: false });
    const at = (op: TxnOp): Txn => ({ zxid: 10, time: 50, session: 0n, op });
    const a = apply(emptyTree(), at({ type: 'multi', ops: [mk('/a', 1), mk('/b', 2)] })).tree;
    const b = apply(apply(emptyTree(), at(mk('/b', 1))).tree, at(mk('/a', 2))).tree;
    expect([...a.nodes.keys()].sort()).toEqual([...b.nodes.keys()].sort());
    for (const [p, n] of a.nodes) expect({ ...b.nodes.get(p)!, children: null }, p).toEqual({ ...n, children: null });
    expect(a.digest).toBe(b.digest);
    // Order of summing does not matter; a snapshot's from-scratch digest is the kept one.
    expect(treeDigest([...a.nodes].reverse())).toBe(a.digest);
    const loaded = deserializeTree(serializeTree(a));
    expect(loaded.ok && loaded.tree.digest).toBe(a.digest);
    // One byte of data apart.
    const c = apply(emptyTree(), at({ type: 'multi', ops: [mk('/a', 1), { ...mk('/b', 2), data: bytes('/c') } as TxnOp] })).tree;
    expect(c.digest).not.toBe(a.digest);
    expect(emptyTree().digest).toBe(fromScratch(emptyTree()));
  });
});
