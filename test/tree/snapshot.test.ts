// The snapshot format: a round trip at 1,000,000 znodes, and damaged input as an error value.
import { describe, expect, it } from 'vitest';
import { applyAll, createTxns } from '../../bench/tree-fixture.ts';
import { Set as ISet } from 'immutable';
import { CreateMode, NameSet, NodeMap, plainNode, deserializeTree, emptyTree, type NodeKind, OPEN_ACL, serializeTree, serializeTreeInSteps, treeDigest, type Tree, type Znode } from '../../src/tree/index.ts';
import { Harness } from './harness.ts';

const FIELDS = ['czxid', 'mzxid', 'pzxid', 'ctime', 'mtime', 'version', 'aversion', 'childCreates'] as const;

const kindText = (k: NodeKind): string => (k.type === 'ephemeral' ? `e${k.owner}` : k.type === 'ttl' ? `t${k.ttl}` : k.type);

function sameTree(a: Tree, b: Tree): void {
  expect(b.nodes.size).toBe(a.nodes.size);
  const sameAcls = new Map<Znode['acl'], Znode['acl']>(); // lists are shared: each pair compared once
  for (const [path, n] of a.nodes) {
    const m = b.nodes.get(path);
    if (!m) throw new Error(`${path} missing after the round trip`);
    for (const f of FIELDS) if (n[f] !== m[f]) throw new Error(`${path}: ${f} ${n[f]} became ${m[f]}`);
    const kindA = kindText(n.kind);
    const kindB = kindText(m.kind);
    if (kindA !== kindB) throw new Error(`${path}: kind ${kindA} became ${kindB}`);
    if (n.acl !== m.acl && sameAcls.get(n.acl) !== m.acl) {
      if (JSON.stringify(n.acl) !== JSON.stringify(m.acl)) throw new Error(`${path}: ACL differs`);
      sameAcls.set(n.acl, m.acl);
    }
    if (n.children.size !== m.children.size || [...n.children].some((c) => !m.children.has(c)) || (n.data === null) !== (m.data === null) || Buffer.compare(n.data ?? new Uint8Array(0), m.data ?? new Uint8Array(0)) !== 0) throw new Error(`${path}: children or data differ`);
  }
  expect([...b.sessions.keys()].sort()).toEqual([...a.sessions.keys()].sort());
  for (const [id, s] of a.sessions) expect(b.sessions.get(id)?.ephemerals.equals(s.ephemerals)).toBe(true);
  expect(b.quotas.equals(a.quotas)).toBe(true);
}

/**
 * `parents` × `perParent` znodes under /big, put straight into the maps (a snapshot's round trip
 * needs a tree, not the way to one): building it by a million applies took more than half of
 * this test's time and most of its garbage (on 2 loaded cores the whole test went past 120 s).
 * Every field differs from its neighbours (czxid, mzxid and pzxid apart, zxids past 2^32, times
 * apart, versions apart), so a field read into another's place shows; leaves of every kind
 * (ephemerals of three sessions, containers, TTLs), null, empty and binary data of 61 lengths,
 * three ACL lists, and names with multi-byte UTF-8.
 */
function bigTree(parents: number, perParent: number): Tree {
  const base = emptyTree();
  const acls = [OPEN_ACL, [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }], [{ perms: 31, id: { scheme: 'digest', id: 'alice:XSf+lo2OlgkK0RuL6w5SgKLMXFM=' } }]];
  const owners = [11n, 12n, -13n];
  const ephemerals = new Map<bigint, string[]>(owners.map((o) => [o, []]));
  const epoch = 0x5_0000_0000;
  // Values of 1 to 61 bytes, shared: a million copies would only add garbage to collect.
  const values = Array.from({ length: 61 }, (_, n) => Uint8Array.from({ length: 1 + n }, (_, j) => (n * 31 + j * 37) & 0xff));
  let i = 0;
  const node = (kind: NodeKind, data: Znode['data'], children: ISet<string>): Znode => {
    i++;
    return {
      data,
      acl: acls[i % 3]!,
      kind,
      czxid: epoch + i,
      mzxid: epoch + i + 7 * (i % 5),
      pzxid: epoch + i + 3 * (i % 11),
      ctime: 1_700_000_000_000 + i,
      mtime: 1_700_000_000_000 + i + (i % 13),
      version: i % 7,
      aversion: i % 3,
      childCreates: i % 17,
      children,
    };
  };
  const nodes = NodeMap.from(base.nodes).withMutations((m) => {
    const parentNames: string[] = [];
    for (let p = 0; p < parents; p++) {
      const parent = `/big/p${p}${p % 10 === 0 ? 'ü' : ''}`;
      const names: string[] = [];
      for (let c = 0; c < perParent; c++) {
        const name = `n${c}`;
        const path = `${parent}/${name}`;
        const k = (p * perParent + c) % 100;
        const kind: NodeKind =
          k === 0 ? { type: 'ephemeral', owner: owners[c % 3]! } : k === 1 ? { type: 'container' } : k === 2 ? { type: 'ttl', ttl: 60_000 + c } : { type: 'persistent' };
        if (kind.type === 'ephemeral') ephemerals.get(kind.owner)!.push(path);
        const data = k === 3 ? null : k === 4 ? new Uint8Array(0) : values[c % values.length]!;
        m.set(path, node(kind, data, ISet()));
        names.push(name);
      }
      m.set(parent, node({ type: 'persistent' }, null, ISet(names)));
      parentNames.push(parent.slice('/big/'.length));
    }
    m.set('/big', node({ type: 'persistent' }, new Uint8Array([1, 2, 3]), ISet(parentNames)));
    const root = m.get('/')!;
    m.set('/', { ...plainNode(root), children: NameSet.from(root.children, '/').addPath('/big', 1) });
  });
  const sessions = base.sessions.withMutations((m) => {
    for (const [owner, paths] of ephemerals) m.set(owner, { timeout: 30_000 + Number(owner), ephemerals: ISet(paths) });
  });
  return { nodes, sessions, quotas: base.quotas, digest: treeDigest(nodes) };
}

describe('tree snapshots', () => {
  it('round-trip every node type, sessions, ephemerals and quotas', () => {
    const h = new Harness({ extendedTypes: true, enforceQuota: false, maxDataBytes: 0xfffff });
    h.session(7n);
    h.session(-3n);
    h.create(7n, '/p', { data: 'ünïcödé' });
    h.create(7n, '/p/e', { flags: CreateMode.EPHEMERAL });
    h.create(-3n, '/p/s-', { flags: CreateMode.EPHEMERAL_SEQUENTIAL });
    h.write(7n, { op: 'createContainer', path: '/c', data: new Uint8Array(), acl: [{ perms: 1, id: { scheme: 'ip', id: '10.0.0.0/8' } }], flags: CreateMode.CONTAINER });
    h.write(7n, { op: 'createTTL', path: '/t', data: new Uint8Array([0, 255]), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: CreateMode.PERSISTENT_WITH_TTL, ttl: 5000 });
    h.create(7n, '/zookeeper/quota/p');
    h.create(7n, '/zookeeper/quota/p/zookeeper_limits', { data: 'count=10,bytes=-1' });
    h.write(7n, { op: 'delete', path: '/p/e', version: -1 });
    const back = deserializeTree(serializeTree(h.tree));
    if (!back.ok) throw new Error(back.error);
    sameTree(h.tree, back.tree);
  });

  // Inherently heavy: ~30 s of CPU on a 2-core machine, much of it the collector's (1.5 GB live:
  // the tree, the snapshot, the tree read back), so its wall time is whatever the machine spares
  // it: beside a CPU-bound process and other work, the 40 s of CPU this test took before got
  // more than 120 s of wall time. Its budget is 10× its CPU: it fails on a wrong byte, not on a
  // busy machine.
  it('round-trips 1,000,000 znodes', () => {
    const tree = bigTree(1000, 999);
    expect(tree.nodes.size).toBe(emptyTree().nodes.size + 1 + 1000 * 1000);
    const bytes = serializeTree(tree);
    const back = deserializeTree(bytes);
    if (!back.ok) throw new Error(back.error);
    sameTree(tree, back.tree);
    expect(back.tree.digest).toBe(tree.digest); // TREE-27: summed again from the nodes read
  }, 300_000);

  it('in steps: the same bytes, in pieces of at most 1 MB, with a pause every chunk of nodes', () => {
    const tree = applyAll(createTxns(20, 999, 64));
    const steps = serializeTreeInSteps(tree, 1000);
    let pauses = 0;
    let r = steps.next();
    for (; !r.done; r = steps.next()) pauses++;
    expect(Buffer.concat(r.value).equals(Buffer.from(serializeTree(tree)))).toBe(true);
    expect(r.value.length).toBeGreaterThan(1); // ~2.5 MB: no buffer grew by copying
    expect(r.value.every((p) => p.length <= 1 << 20)).toBe(true);
    // Two passes over the nodes (ACL lists, then the nodes), one pause per 1,000 in each.
    expect(pauses).toBe(Math.floor((2 * tree.nodes.size) / 1000));
  });

  it('reports damage instead of throwing', () => {
    const bytes = serializeTree(emptyTree());
    expect(deserializeTree(bytes.subarray(0, bytes.length - 3))).toMatchObject({ ok: false, error: expect.stringContaining('truncated') });
    const foreign = bytes.slice();
    foreign[0] = 0;
    expect(deserializeTree(foreign)).toMatchObject({ ok: false, error: expect.stringContaining('magic') });
    const future = bytes.slice();
    future[7] = 9;
    expect(deserializeTree(future)).toMatchObject({ ok: false, error: expect.stringContaining('version 9') });
    expect(deserializeTree(new Uint8Array([...bytes, 1]))).toMatchObject({ ok: false, error: expect.stringContaining('trailing') });
  });
});
