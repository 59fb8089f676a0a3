// Apache's records as zabkit's tree and txns, and back: node kinds packed into ephemeralOwner,
// txns of every type, a failed multi as Apache logs it, and the problems a snapshot can have.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readApacheSnapshot, writeApacheSnapshot } from '../../src/ops/apache-snapshot.ts';
import { ConversionError, CONTAINER_OWNER, kindOfOwner, ownerOfKind, snapshotOfTree, treeOfSnapshot } from '../../src/ops/apache-tree.ts';
import { apacheOfTxn, txnOfApache } from '../../src/ops/apache-txn-convert.ts';
import { decodeApacheTxn, encodeApacheTxn, type ApacheTxn } from '../../src/ops/apache-txn.ts';
import { apply, emptyTree, serializeTree, type Tree } from '../../src/tree/index.ts';
import { expectSameTree, history, steps } from './fixtures.ts';

const same = (a: Tree, b: Tree): boolean => Buffer.from(serializeTree(a)).equals(Buffer.from(serializeTree(b)));

describe('node kinds in ephemeralOwner', () => {
  it('are EphemeralType\'s: Long.MIN_VALUE a container, 0xff… with the TTL in 40 bits, else the session', () => {
    expect(ownerOfKind({ type: 'container' })).toBe(CONTAINER_OWNER);
    expect(BigInt.asUintN(64, CONTAINER_OWNER)).toBe(0x8000000000000000n);
    expect(BigInt.asUintN(64, ownerOfKind({ type: 'ttl', ttl: 100_000 }))).toBe(0xff000000000186a0n); // seen in a 3.8.0 snapshot
    expect(kindOfOwner(0x1000048c3910000n)).toEqual({ type: 'ephemeral', owner: 0x1000048c3910000n });
    expect(kindOfOwner(0n)).toEqual({ type: 'persistent' });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 - 1 }), (ttl) => {
        expect(kindOfOwner(ownerOfKind({ type: 'ttl', ttl }))).toEqual({ type: 'ttl', ttl });
      }),
    );
    expect(() => kindOfOwner(BigInt.asIntN(64, 0xff01000000000005n))).toThrow(ConversionError);
  });
});

describe('txns', () => {
  it('of every type go to Apache\'s records and back to txns that apply to the same tree', () => {
    fc.assert(
      fc.property(steps, (s) => {
        const h = history(s);
        h.txns.forEach((t, i) => {
          const decoded = decodeApacheTxn(encodeApacheTxn(apacheOfTxn(t, i)));
          if (!decoded.ok) throw new Error(decoded.error);
          const back = txnOfApache(decoded.value, h.trees[i]!);
          expect({ zxid: back.zxid, time: back.time, session: back.session }).toEqual({ zxid: t.zxid, time: t.time, session: t.session });
          expect(same(apply(h.trees[i]!, back).tree, h.trees[i + 1]!), `txn ${i}: ${JSON.stringify(t.op, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`).toBe(true);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('take a failed multi as Apache logs it (the ops before the failure keep their types) as the error txn', () => {
    // zxid 0xb of a real 3.8.0 log: multi [create /m2; error NoNode].
    const failed: ApacheTxn = {
      header: { clientId: 0x1000048c3910000n, cxid: 11, zxid: 0xbn, time: 0x1a25278bef8n, type: 14 },
      body: {
        type: 'multi',
        txns: [
          { type: 'create', path: '/m2', data: Buffer.from('x'), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], ephemeral: false, parentCVersion: 7 },
          { type: 'error', err: -101 },
        ],
      },
    };
    expect(txnOfApache(failed, emptyTree()).op).toEqual({ type: 'error', err: -101, results: [0, -101] });
  });

  it('give a create logged before 3.3 (no parentCVersion) the parent\'s count + 1, as Apache does', () => {
    const old: ApacheTxn = {
      header: { clientId: 1n, cxid: 1, zxid: 1n, time: 5n, type: 1 },
      body: { type: 'create', path: '/old', data: null, acl: [], ephemeral: false, parentCVersion: -1 },
    };
    const bytes = encodeApacheTxn(old);
    const read = decodeApacheTxn(bytes);
    expect(read.ok && read.value.body).toEqual(old.body);
    expect(txnOfApache(old, emptyTree()).op).toMatchObject({ type: 'create', parentCreates: 1 }); // / has counted 0 creates
  });

  it('refuse a zxid beyond zabkit\'s epochs by name', () => {
    const far: ApacheTxn = { header: { clientId: 1n, cxid: 0, zxid: 0x7fffffff00000001n, time: 0n, type: -10 }, body: { type: 'createSession', timeout: 1 } };
    expect(() => txnOfApache(far, emptyTree())).toThrow(/zxid 0x7fffffff00000001 is beyond zabkit's epochs/);
  });
});

describe('snapshots as trees', () => {
  it('keep every node, session and quota through Apache\'s snapshot and back', () => {
    fc.assert(
      fc.property(steps, (s) => {
        const tree = history(s).trees.at(-1)!;
        expectSameTree(tree, treeOfSnapshot(readApacheSnapshot(writeApacheSnapshot(snapshotOfTree(tree, 9))).snapshot).tree);
      }),
      { numRuns: 100 },
    );
  });

  it('name a node before its parent and an ACL reference not in the table', () => {
    const snap = snapshotOfTree(emptyTree(), 0);
    const [root, ...rest] = snap.nodes;
    expect(() => treeOfSnapshot({ ...snap, nodes: [...rest, root!] })).toThrow(/^node \/zookeeper comes before its parent \/$/);
    expect(() => treeOfSnapshot({ ...snap, nodes: snap.nodes.map((n) => (n.path === '/zookeeper' ? { ...n, acl: 77n } : n)) })).toThrow("node /zookeeper: ACL reference 77 is not in the snapshot's ACL table");
  });

  it('add a system node an old snapshot lacks, and say so', () => {
    const snap = snapshotOfTree(emptyTree(), 0);
    const t = treeOfSnapshot({ ...snap, nodes: snap.nodes.filter((n) => n.path !== '/zookeeper/config') });
    expect(t.warnings).toEqual(['the snapshot has no /zookeeper/config: added as a fresh tree has it']);
    expectSameTree(emptyTree(), t.tree);
  });
});
