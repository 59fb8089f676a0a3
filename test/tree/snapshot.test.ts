// The snapshot format: a round trip at 1,000,000 znodes, and damaged input as an error value.
import { describe, expect, it } from 'vitest';
import { applyAll, createTxns } from '../../bench/tree-fixture.ts';
import { CreateMode, deserializeTree, emptyTree, type NodeKind, serializeTree, serializeTreeInSteps, type Tree } from '../../src/tree/index.ts';
import { Harness } from './harness.ts';

const FIELDS = ['czxid', 'mzxid', 'pzxid', 'ctime', 'mtime', 'version', 'aversion', 'childCreates'] as const;

const kindText = (k: NodeKind): string => (k.type === 'ephemeral' ? `e${k.owner}` : k.type === 'ttl' ? `t${k.ttl}` : k.type);

function sameTree(a: Tree, b: Tree): void {
  expect(b.nodes.size).toBe(a.nodes.size);
  for (const [path, n] of a.nodes) {
    const m = b.nodes.get(path);
    if (!m) throw new Error(`${path} missing after the round trip`);
    for (const f of FIELDS) if (n[f] !== m[f]) throw new Error(`${path}: ${f} ${n[f]} became ${m[f]}`);
    const kindA = kindText(n.kind);
    const kindB = kindText(m.kind);
    if (kindA !== kindB) throw new Error(`${path}: kind ${kindA} became ${kindB}`);
    if (n.acl !== m.acl && JSON.stringify(n.acl) !== JSON.stringify(m.acl)) throw new Error(`${path}: ACL differs`);
    if (!n.children.equals(m.children) || (n.data === null) !== (m.data === null) || Buffer.compare(n.data ?? new Uint8Array(0), m.data ?? new Uint8Array(0)) !== 0) throw new Error(`${path}: children or data differ`);
  }
  expect([...b.sessions.keys()].sort()).toEqual([...a.sessions.keys()].sort());
  for (const [id, s] of a.sessions) expect(b.sessions.get(id)?.ephemerals.equals(s.ephemerals)).toBe(true);
  expect(b.quotas.equals(a.quotas)).toBe(true);
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

  it('round-trips 1,000,000 znodes', () => {
    const tree = applyAll(createTxns(1000, 999, 8));
    expect(tree.nodes.size).toBe(emptyTree().nodes.size + 1 + 1000 * 1000);
    const bytes = serializeTree(tree);
    const back = deserializeTree(bytes);
    if (!back.ok) throw new Error(back.error);
    sameTree(tree, back.tree);
  }, 120_000);

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
