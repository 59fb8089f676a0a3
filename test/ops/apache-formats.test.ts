// Apache ZooKeeper's on-disk formats: Adler-32, the txn log (records, preallocation, damage),
// the snapshot (seals, digest, gzip, damage) and the digest, with vectors from a real 3.8.0.
import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adler32 } from '../../src/ops/adler32.ts';
import { FILE_HEADER, parseApacheName } from '../../src/ops/apache-format.ts';
import { nodeDigest, treeDigest } from '../../src/ops/apache-digest.ts';
import { frame, readApacheLog, writeApacheLog, type LogEntry } from '../../src/ops/apache-log.ts';
import { readApacheSnapshot, writeApacheSnapshot, type StatPersisted } from '../../src/ops/apache-snapshot.ts';
import { snapshotOfTree, treeOfSnapshot } from '../../src/ops/apache-tree.ts';
import { decodeApacheTxn, encodeApacheTxn } from '../../src/ops/apache-txn.ts';
import { emptyTree } from '../../src/tree/index.ts';
import { apacheTxns, expectSameTree, history, steps } from './fixtures.ts';

const txnsOf = (entries: readonly LogEntry[]) => entries.flatMap((e) => ('txn' in e ? [e.txn] : []));
const damageOf = (entries: readonly LogEntry[]) => entries.flatMap((e) => ('damage' in e ? [e] : []));

describe('Adler-32', () => {
  it('is zlib\'s (the checksum a deflate stream ends with) for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), (b) => {
        const z = deflateSync(b);
        expect(adler32(b)).toBe(z.readUInt32BE(z.length - 4));
      }),
      { numRuns: 200 },
    );
    expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398);
  });

  it('continues a checksum over pieces', () => {
    const b = Buffer.from('the quick brown fox jumps over the lazy dog'.repeat(300));
    expect(adler32(b.subarray(7000), adler32(b.subarray(0, 7000)))).toBe(adler32(b));
  });
});

describe('file names', () => {
  it('are Apache\'s: unpadded lower-case hex, .gz/.snappy for compressed snapshots only', () => {
    expect(parseApacheName('log.1a')).toEqual({ prefix: 'log', zxid: 0x1an });
    expect(parseApacheName('snapshot.100000002.gz')).toEqual({ prefix: 'snapshot', zxid: 0x100000002n, compression: 'gz' });
    expect(parseApacheName('log.1.gz')).toBeUndefined();
    expect(parseApacheName('snapshot.1a.tmp')).toBeUndefined();
    expect(parseApacheName('currentEpoch')).toBeUndefined();
  });
});

describe('the txn log', () => {
  it('round-trips every txn a leader logs, with its digest, and ends at the preallocated zeros', () => {
    fc.assert(
      fc.property(steps, (s) => {
        const txns = apacheTxns(history(s));
        for (const t of txns) {
          const back = decodeApacheTxn(encodeApacheTxn(t));
          expect(back.ok && back.value).toEqual(t);
        }
        const bytes = writeApacheLog(txns, { prealloc: 1000 });
        const log = readApacheLog(bytes);
        if ('problem' in log) throw new Error(log.problem);
        expect(txnsOf(log.entries)).toEqual(txns);
        expect(damageOf(log.entries)).toEqual([]);
        expect(log.end).toBe(bytes.length - 1000);
      }),
      { numRuns: 100 },
    );
  });

  it('reads a record as Apache 3.8.0 wrote it (createSession with its digest)', () => {
    // The first record of a real log.1: header, crc, length, then the entry and 'B'.
    const record = Buffer.from('00000000dc5f0b4a0000003001000048c3910000000000000000000000000001000001a25278be62fffffff600009c40000000020000000051c6d66042', 'hex');
    const log = readApacheLog(Buffer.concat([Buffer.from('5a4b4c47000000020000000000000000', 'hex'), record]));
    if ('problem' in log) throw new Error(log.problem);
    expect(log.entries).toEqual([
      {
        offset: 16,
        txn: {
          header: { clientId: 0x1000048c3910000n, cxid: 0, zxid: 1n, time: 0x1a25278be62n, type: -10 },
          body: { type: 'createSession', timeout: 40000 },
          digest: { version: 2, treeDigest: 0x51c6d660n },
        },
      },
    ]);
  });

  it('names a damaged record by its offset and reads on past a whole frame', () => {
    const txns = apacheTxns(history([]));
    const records = txns.map((t) => frame(encodeApacheTxn(t)));
    const header = writeApacheLog([]);
    const second = FILE_HEADER + records[0]!.length;
    const bad = Buffer.concat([header, ...records]);
    bad.writeUInt8(bad.readUInt8(second + 30) ^ 0xff, second + 30); // inside the second entry: its checksum no longer holds
    const log = readApacheLog(bad);
    if ('problem' in log) throw new Error(log.problem);
    expect(damageOf(log.entries)).toEqual([{ offset: second, damage: expect.stringMatching(/^checksum mismatch: stored 0x[0-9a-f]+, computed 0x[0-9a-f]+$/), resumable: true }]);
    expect(txnsOf(log.entries)).toEqual(txns.filter((_, i) => i !== 1));
  });

  it('stops cleanly at a torn record, a missing end byte, or bytes after the end of the records', () => {
    const txns = apacheTxns(history([]));
    const whole = writeApacheLog(txns);
    const last = whole.length - frame(encodeApacheTxn(txns.at(-1)!)).length;
    const torn = readApacheLog(whole.subarray(0, whole.length - 5));
    expect(!('problem' in torn) && torn.entries.at(-1)).toEqual({ offset: last, damage: expect.stringMatching(/^torn record: length \d+, \d+ bytes left$/), resumable: false });
    const noEnd = Buffer.from(whole);
    noEnd[noEnd.length - 1] = 0x41;
    const n = readApacheLog(noEnd);
    expect(!('problem' in n) && damageOf(n.entries)).toEqual([{ offset: last, damage: "record not ended by 'B' (0x42) but by 0x41", resumable: false }]);
    const garbage = Buffer.concat([whole, Buffer.alloc(100), Buffer.from([7])]);
    const g = readApacheLog(garbage);
    expect(!('problem' in g) && damageOf(g.entries)).toEqual([{ offset: whole.length + 100, damage: 'non-zero bytes after the last record (a torn write?)', resumable: false }]);
    expect(!('problem' in g) && txnsOf(g.entries)).toEqual(txns);
  });

  it('refuses what is not an Apache log by its header', () => {
    expect(readApacheLog(Buffer.from('ZBLG\0\0\0\x01'))).toEqual({ problem: '8 bytes: shorter than a file header (16)' });
    expect(readApacheLog(Buffer.from('ZKSN\0\0\0\x02\0\0\0\0\0\0\0\0'))).toEqual({ problem: "magic 0x5a4b534e is not an Apache txn log's (ZKLG)" });
  });
});

describe('the snapshot', () => {
  it('round-trips any tree: sessions, ACL table, every node kind and stat, the digest', () => {
    fc.assert(
      fc.property(steps, fc.boolean(), (s, gzip) => {
        const h = history(s);
        const tree = h.trees.at(-1)!;
        const snap = snapshotOfTree(tree, h.txns.at(-1)!.zxid);
        const r = readApacheSnapshot(writeApacheSnapshot(snap, { gzip }));
        expect(r.problems).toEqual([]);
        expect(r.compressed).toBe(gzip ? 'gz' : undefined);
        expect(r.snapshot).toEqual(snap);
        expectSameTree(tree, treeOfSnapshot(r.snapshot).tree);
      }),
      { numRuns: 100 },
    );
  });

  it('holds the digest Apache 3.8.0 computes: a fresh tree, and after create /a "hello"', () => {
    // Seen in a fresh server's snapshot.0 and in the TxnDigest of its first create (zxid 2).
    expect(treeDigest(snapshotOfTree(emptyTree(), 0).nodes)).toBe(0x51c6d660n);
    const stat = (over: Partial<StatPersisted>): StatPersisted => ({ czxid: 0n, mzxid: 0n, ctime: 0n, mtime: 0n, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, pzxid: 0n, ...over });
    const t = 0x1a25278be8fn;
    const nodes = [
      { path: '/', data: new Uint8Array(0), stat: stat({ cversion: 1, pzxid: 2n }) },
      { path: '/zookeeper', data: new Uint8Array(0), stat: stat({}) },
      { path: '/zookeeper/quota', data: new Uint8Array(0), stat: stat({ mzxid: 99n }) }, // under /zookeeper/: 0
      { path: '/a', data: Buffer.from('hello'), stat: stat({ czxid: 2n, mzxid: 2n, pzxid: 2n, ctime: t, mtime: t }) },
    ];
    expect(nodeDigest('/zookeeper/quota', nodes[2]!.data, nodes[2]!.stat)).toBe(0n);
    expect(treeDigest(nodes)).toBe(0xa0f51567n);
  });

  it('names a checksum that does not hold, a cut, and a snappy snapshot; never throws', () => {
    const snap = snapshotOfTree(history([]).trees.at(-1)!, 2);
    const bytes = writeApacheSnapshot(snap);
    const flipped = Buffer.from(bytes);
    flipped.writeUInt8(flipped.readUInt8(60) ^ 0x01, 60); // inside the ACL table
    const f = readApacheSnapshot(flipped);
    expect(f.problems.map((p) => p.reason)).toContainEqual(expect.stringMatching(/^tree checksum mismatch: stored 0x[0-9a-f]+, computed 0x[0-9a-f]+$/));
    // Cut anywhere, it says so — but cut just after the first seal, it is a whole snapshot of
    // before 3.6 (no digest), for Apache as for this reader: the digest is an optional tail.
    const firstSeal = bytes.length - 20 - 13;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), (cut) => {
        const r = readApacheSnapshot(bytes.subarray(0, cut));
        if (cut === firstSeal) expect(r.snapshot.digest).toBeUndefined();
        else expect(r.problems.length).toBeGreaterThan(0);
      }),
    );
    expect(readApacheSnapshot(bytes.subarray(0, firstSeal)).problems).toEqual([]);
    const snappy = Buffer.concat([Buffer.from([0x82]), Buffer.from('SNAPPY'), Buffer.from([0, 0, 0, 0, 1])]);
    expect(readApacheSnapshot(snappy).problems[0]!.reason).toMatch(/^a snappy-compressed snapshot .*which zabkit does not read: start Apache ZooKeeper once without that property/);
    expect(readApacheSnapshot(gzipSync(Buffer.from('not a snapshot'))).problems[0]!.reason).toBe('not an Apache ZooKeeper snapshot (no ZKSN header)');
  });

  it('reads a snapshot written before digests (no ZxidDigest after the seal)', () => {
    const snap = snapshotOfTree(emptyTree(), 0);
    const { digest: _, ...old } = snap;
    const r = readApacheSnapshot(writeApacheSnapshot(old));
    expect(r.problems).toEqual([]);
    expect(r.snapshot.digest).toBeUndefined();
    expect(r.snapshot.nodes).toEqual(snap.nodes);
  });
});
