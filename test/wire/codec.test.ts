// The jute codec: decode(encode(x)) = x for every record of the protocol, and decoding of
// random, truncated or corrupted bytes returns an error value instead of throwing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encode, type Codec, type Shape } from '../../src/wire/jute.ts';
import { MultiRequest, MultiResponse, type MultiOp, type MultiResult } from '../../src/wire/multi.ts';
import {
  decodeConnectRequest,
  decodeRequest,
  encodeConnectRequest,
  encodeRequest,
  FrameReader,
  type Request,
} from '../../src/wire/protocol.ts';
import { ConnectResponse, OPS, Stat, type SimpleOp } from '../../src/wire/records.ts';
import { decodeTxn, encodeTxn } from '../../src/wire/txn.ts';
import { apply, emptyTree, OPEN_ACL, serializeTree, type Txn, type TxnOp, type WriteOp } from '../../src/tree/index.ts';
import { decodePeer, decodePeerFrame, encodePeer, type PeerMessage } from '../../src/wire/peer.ts';

const SEED = 20261122;
const runs = { seed: SEED, numRuns: 300 };

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const bytes = fc.uint8Array({ maxLength: 64 });

/** Any value a codec of this shape carries. */
function arbitraryOf(shape: Shape): fc.Arbitrary<unknown> {
  switch (shape.t) {
    case 'int':
      return int32;
    case 'long':
      return int64;
    case 'bool':
      return fc.boolean();
    case 'buffer':
      return fc.option(bytes, { nil: null });
    case 'string':
      return fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => s === Buffer.from(s, 'utf8').toString('utf8'));
    case 'vector':
      return fc.array(arbitraryOf(shape.of), { maxLength: 4 });
    case 'record':
      return fc.record(Object.fromEntries(shape.fields.map(([k, s]) => [k, arbitraryOf(s)])));
    case 'custom':
      throw new Error(`no generic arbitrary for ${shape.name}`);
  }
}

const roundTrips = <T>(codec: Codec<T>, arb: fc.Arbitrary<T>) =>
  fc.assert(
    fc.property(arb, (v) => {
      const back = decode(codec, encode(codec, v));
      expect(back).toEqual({ ok: true, value: v });
    }),
    runs,
  );

const pathVersion = fc.record({ path: fc.string(), version: int32 });
const create = arbitraryOf(OPS.create.request.shape) as fc.Arbitrary<MultiOp['body']>;
const multiOp: fc.Arbitrary<MultiOp> = fc.oneof(
  fc.record({ type: fc.constantFrom(1 as const, 15 as const, 19 as const), body: create as fc.Arbitrary<never> }),
  fc.record({ type: fc.constant(21 as const), body: arbitraryOf(OPS.createTTL.request.shape) as fc.Arbitrary<never> }),
  fc.record({ type: fc.constantFrom(2 as const, 13 as const), body: pathVersion }),
  fc.record({ type: fc.constant(5 as const), body: arbitraryOf(OPS.setData.request.shape) as fc.Arbitrary<never> }),
  fc.record({ type: fc.constantFrom(4 as const, 8 as const), body: fc.record({ path: fc.string(), watch: fc.boolean() }) }),
);
const stat = arbitraryOf(Stat.shape) as fc.Arbitrary<never>;
const multiResult: fc.Arbitrary<MultiResult> = fc.oneof(
  fc.record({ type: fc.constant(1 as const), body: fc.record({ path: fc.string() }) }),
  fc.record({ type: fc.constant(15 as const), body: fc.record({ path: fc.string(), stat }) }),
  fc.record({ type: fc.constantFrom(2 as const, 13 as const) }),
  fc.record({ type: fc.constant(5 as const), body: fc.record({ stat }) }),
  fc.record({ type: fc.constant(4 as const), body: fc.record({ data: fc.option(bytes, { nil: null }), stat }) }),
  fc.record({ type: fc.constant(8 as const), body: fc.record({ children: fc.array(fc.string(), { maxLength: 3 }) }) }),
  fc.record({ type: fc.constant(-1 as const), body: fc.record({ err: int32 }) }),
);

const simpleOps = Object.keys(OPS) as SimpleOp[];
const request: fc.Arbitrary<Exclude<Request, { op: 'unknown' }>> = fc.oneof(
  fc
    .constantFrom(...simpleOps)
    .chain((op) => (arbitraryOf(OPS[op].request.shape) as fc.Arbitrary<object>).map((body) => ({ op, ...body }) as Exclude<Request, { op: 'unknown' }>)),
  fc.record({ op: fc.constantFrom('multi' as const, 'multiRead' as const), ops: fc.array(multiOp, { maxLength: 4 }) }),
);

describe('jute round trips', () => {
  for (const [name, o] of Object.entries(OPS)) {
    it(`${name} (${o.code}) request and response`, () => {
      roundTrips(o.request as Codec<unknown>, arbitraryOf(o.request.shape));
      roundTrips(o.response as Codec<unknown>, arbitraryOf(o.response.shape));
    });
  }

  it('multi requests and responses', () => {
    roundTrips(MultiRequest, fc.array(multiOp, { maxLength: 5 }));
    roundTrips(MultiResponse, fc.array(multiResult, { maxLength: 5 }));
  });

  it('whole request frames: decodeRequest(encodeRequest(x)) = x', () => {
    fc.assert(
      fc.property(int32, request, (xid, req) => {
        const frame = encodeRequest(xid, req);
        expect(new DataView(frame.buffer, frame.byteOffset).getInt32(0)).toBe(frame.length - 4);
        const back = decodeRequest(frame.subarray(4));
        expect(back.ok && back.value).toMatchObject({ xid, request: req });
      }),
      runs,
    );
  });

  it('connect request and response, with and without the trailing readOnly flag', () => {
    const core = { protocolVersion: 0, lastZxidSeen: 5n, timeOut: 30000, sessionId: 0x1234n, passwd: new Uint8Array(16).fill(7) };
    for (const v of [core, { ...core, readOnly: false }, { ...core, readOnly: true }]) {
      const back = decodeConnectRequest(encodeConnectRequest(v).subarray(4));
      expect(back).toEqual({ ok: true, value: v });
      expect(decode(ConnectResponse, encode(ConnectResponse, { ...v, timeOut: 4000 }))).toMatchObject({ ok: true });
    }
    // The 37-byte response body seen from ZooKeeper 3.8.0: 4 + 4 + 8 + (4 + 16) + 1.
    expect(encode(ConnectResponse, { protocolVersion: 0, timeOut: 4000, sessionId: 1n, passwd: new Uint8Array(16), readOnly: false }).length).toBe(37);
  });

  it('a Stat is 68 bytes', () => {
    fc.assert(fc.property(stat, (s) => encode(Stat, s).length === 68), runs);
  });
});

const node = { data: new Uint8Array([1, 2]), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }] };
const txnOp: fc.Arbitrary<TxnOp> = fc.letrec<{ op: TxnOp }>((tie) => ({
  op: fc.oneof(
    { depthSize: 'small' },
    fc.record({
      type: fc.constant('create' as const),
      path: fc.string(),
      data: bytes,
      acl: fc.constant(node.acl),
      kind: fc.oneof(
        fc.constant({ type: 'persistent' as const }),
        fc.constant({ type: 'container' as const }),
        int64.map((owner) => ({ type: 'ephemeral' as const, owner })),
        fc.integer({ min: 0, max: 2 ** 40 - 1 }).map((ttl) => ({ type: 'ttl' as const, ttl })),
      ),
      parentCreates: int32,
      withStat: fc.boolean(),
    }),
    fc.record({ type: fc.constantFrom('delete' as const, 'check' as const), path: fc.string() }),
    fc.record({ type: fc.constant('setData' as const), path: fc.string(), data: bytes, version: int32 }),
    fc.record({ type: fc.constant('setACL' as const), path: fc.string(), acl: fc.constant(node.acl), aversion: int32 }),
    fc.record({ type: fc.constant('createSession' as const), timeout: int32 }),
    fc.record({ type: fc.constant('closeSession' as const), paths: fc.array(fc.string(), { maxLength: 3 }) }),
    fc.record({ type: fc.constant('multi' as const), ops: fc.array(tie('op'), { maxLength: 3 }) }),
    fc.record({ type: fc.constant('error' as const), err: fc.constantFrom(-101 as const, -110 as const) }),
    fc.record({ type: fc.constant('error' as const), err: fc.constant(-110 as const), results: fc.constant([0 as const, -110 as const, -2 as const]) }),
  ),
})).op;
/** With the leader's tree digest (TREE-27) or, as records written before digests, without. */
const txn: fc.Arbitrary<Txn> = fc
  .tuple(
    fc.record({ zxid: fc.integer({ min: 0, max: 2 ** 52 }), time: fc.integer({ min: 0, max: 2 ** 50 }), session: int64, op: txnOp }),
    fc.option(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { nil: undefined }),
  )
  .map(([t, digest]): Txn => (digest === undefined ? t : { ...t, digest }));

describe('txn log records', () => {
  it('decodeTxn(encodeTxn(t)) = t, with and without a digest', () => {
    let withDigest = 0;
    fc.assert(
      fc.property(txn, (t) => {
        const back = decodeTxn(encodeTxn(t));
        expect(back).toEqual({ ok: true, value: t });
        expect(back.ok && 'digest' in back.value).toBe(t.digest !== undefined);
        if (t.digest !== undefined) withDigest++;
      }),
      runs,
    );
    expect(withDigest).toBeGreaterThan(50);
  });

  it('a digest (TREE-27) is 8 bytes more; records written before digests decode as they did', () => {
    const plain: Txn = { zxid: 0x1_0000_0002, time: 7, session: 5n, op: { type: 'setData', path: '/a', data: new Uint8Array([9]), version: 1 } };
    // Such a record as this codec wrote it before digests: zxid, time, session, tag 3, path, data, version.
    const old = new Uint8Array(Buffer.concat([
      Buffer.from('000000010000000200000000000000070000000000000005', 'hex'),
      Buffer.from('00000003' + '000000022f61' + '0000000109' + '00000001', 'hex'),
    ]));
    expect(encodeTxn(plain)).toEqual(old);
    expect(decodeTxn(old)).toEqual({ ok: true, value: plain });
    const signed = encodeTxn({ ...plain, digest: 0xdeadbeef });
    expect(signed.length).toBe(old.length + 8);
    expect(decodeTxn(signed)).toEqual({ ok: true, value: { ...plain, digest: 0xdeadbeef } });
    // A digest of another version (another build's hash) is read past and dropped, not compared.
    const other = signed.slice();
    new DataView(other.buffer, other.byteOffset).setInt32(other.length - 8, 99);
    const d = decodeTxn(other);
    expect(d).toEqual({ ok: true, value: plain });
    expect(d.ok && 'digest' in d.value).toBe(false);
    // The digest flag belongs to the txn's op alone, not to an op inside a multi.
    const multi = encodeTxn({ ...plain, op: { type: 'multi', ops: [{ type: 'check', path: '/' }] } }).slice();
    expect(decodeTxn(multi).ok).toBe(true);
    new DataView(multi.buffer, multi.byteOffset).setInt32(24 + 4 + 4, 0x105); // after the header, the multi's tag and count
    expect(decodeTxn(multi).ok).toBe(false);
    // The leader's PROPOSAL carries it to the followers.
    const proposal: PeerMessage = { type: 'PROPOSAL', txn: { zxid: plain.zxid, value: { kind: 'txn', txn: { ...plain, digest: 1 } } } };
    expect(decodePeer(encodePeer(proposal).subarray(4))).toEqual({ ok: true, value: proposal });
  });
});

describe('malformed input is a value, never an exception', () => {
  const decoders: [string, (b: Uint8Array) => unknown][] = [
    ['request', (b) => decodeRequest(b)],
    ['connect', (b) => decodeConnectRequest(b)],
    ['txn', (b) => decodeTxn(b)],
  ];

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        for (const [, d] of decoders) expect(() => d(b)).not.toThrow();
      }),
      { ...runs, numRuns: 2000 },
    );
  });

  it('every truncation of a valid request is refused, not thrown', () => {
    fc.assert(
      fc.property(int32, request, (xid, req) => {
        const payload = encodeRequest(xid, req).subarray(4);
        for (let n = 0; n < payload.length; n++) {
          const r = decodeRequest(payload.subarray(0, n));
          // A shorter payload is malformed unless the op's body is legitimately empty.
          if (r.ok) expect(n).toBe(8);
        }
      }),
      { ...runs, numRuns: 200 },
    );
  });

  it('every truncation of a txn is refused; a flipped byte never throws', () => {
    fc.assert(
      fc.property(txn, fc.nat(), fc.integer({ min: 1, max: 255 }), (t, at, x) => {
        const b = encodeTxn(t);
        for (let n = 0; n < b.length; n++) expect(decodeTxn(b.subarray(0, n)).ok).toBe(false);
        const flipped = b.slice();
        flipped[at % b.length]! ^= x;
        expect(() => decodeTxn(flipped)).not.toThrow();
      }),
      { ...runs, numRuns: 200 },
    );
  });

  it('a length prefix larger than the rest is refused without allocating it', () => {
    const huge = new Uint8Array([0, 0, 0, 1, 0, 0, 0, 4, 0x7f, 0xff, 0xff, 0xff]);
    const r = decodeRequest(huge);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/length/);
    expect(!r.ok && r.header).toEqual({ xid: 1, type: 4 });
  });

  it('an unknown opcode decodes as unknown (the server answers Unimplemented)', () => {
    const r = decodeRequest(new Uint8Array([0, 0, 0, 9, 0, 0, 0, 99, 1, 2, 3]));
    expect(r).toEqual({ ok: true, value: { xid: 9, type: 99, request: { op: 'unknown' } } });
  });
});

function lengthPrefix(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

describe('framing', () => {
  it('splits a stream cut anywhere into the same frames', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 5 }), (payloads, cuts) => {
        const stream = Buffer.concat(payloads.flatMap((p) => [lengthPrefix(p.length), p]));
        const at = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const fr = new FrameReader();
        const got: Uint8Array[] = [];
        let prev = 0;
        for (const c of [...at, stream.length]) {
          const r = fr.push(stream.subarray(prev, c));
          expect(r.ok).toBe(true);
          if (r.ok) got.push(...r.frames);
          prev = c;
        }
        expect(got.map((g) => Buffer.from(g))).toEqual(payloads.map((p) => Buffer.from(p)));
        expect(fr.pending).toBe(0);
      }),
      runs,
    );
  });

  it('a frame longer than jute.maxbuffer is refused', () => {
    const fr = new FrameReader(100);
    expect(fr.push(Buffer.from([0, 0, 0, 101]))).toEqual({ ok: false, error: 'frame length 101 (jute.maxbuffer is 100)' });
    expect(new FrameReader(100).push(Buffer.from([0xff, 0xff, 0xff, 0xff])).ok).toBe(false);
  });
});

describe('peer protocol (src/wire/peer.ts)', () => {
  const zabTxn = fc.tuple(txn, fc.option(fc.record({ server: fc.integer({ min: 0, max: 255 }), id: fc.nat() }), { nil: undefined })).map(([t, origin]) => ({
    zxid: t.zxid,
    value: origin ? ({ kind: 'txn', txn: t, origin } as const) : ({ kind: 'txn', txn: t } as const),
  }));
  const zxid = fc.nat();
  const write: fc.Arbitrary<WriteOp> = fc.oneof(
    fc.record({ op: fc.constant('setData' as const), path: fc.string(), data: fc.option(fc.uint8Array(), { nil: null }), version: int32 }),
    fc.record({ op: fc.constant('create2' as const), path: fc.string(), data: fc.uint8Array(), acl: fc.array(fc.record({ perms: fc.nat(31), id: fc.record({ scheme: fc.string(), id: fc.string() }) })), flags: int32 }),
    fc.record({ op: fc.constant('delete' as const), path: fc.string(), version: int32 }),
    fc.record({ op: fc.constant('createSession' as const), timeout: int32 }),
    fc.constant({ op: 'closeSession' as const }),
    fc.record({ op: fc.constant('reconfig' as const), data: fc.uint8Array() }),
  );
  const session = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
  const message: fc.Arbitrary<PeerMessage> = fc.oneof(
    fc.record({ type: fc.constant('NOTIFICATION' as const), vote: fc.oneof(fc.record({ leader: fc.nat(255), zxid, epoch: fc.nat() }), fc.constant({ leader: -1, zxid: -1, epoch: -1 })), round: fc.nat(), state: fc.constantFrom('looking' as const, 'following' as const, 'leading' as const, 'observing' as const) }),
    fc.record({ type: fc.constant('PROPOSAL' as const), txn: zabTxn }),
    fc.record({ type: fc.constant('INFORM' as const), txn: zabTxn }),
    fc.record({ type: fc.constant('DIFF' as const), txns: fc.array(zabTxn, { maxLength: 4 }), committed: zxid }),
    fc.record({ type: fc.constant('TRUNC' as const), zxid, txns: fc.array(zabTxn, { maxLength: 4 }), committed: zxid }),
    fc.record({ type: fc.constantFrom('ACK' as const, 'COMMIT' as const), zxid }),
    fc.record({ type: fc.constant('ACKEPOCH' as const), currentEpoch: fc.nat(), lastZxid: zxid }),
    fc.record({ type: fc.constant('REQUEST' as const), origin: fc.record({ server: fc.nat(255), id: fc.nat() }), session, auth: fc.array(fc.record({ scheme: fc.string(), id: fc.string() })), write }),
    fc.record({ type: fc.constant('TOUCH' as const), sessions: fc.array(session) }),
    fc.record({ type: fc.constant('SYNCED' as const), id: fc.nat(), zxid }),
    fc.record({ type: fc.constant('RECONFIG' as const), origin: fc.record({ server: fc.nat(255), id: fc.nat() }), session, auth: fc.constant([]), joining: fc.option(fc.string(), { nil: null }), leaving: fc.option(fc.string(), { nil: null }), newMembers: fc.constant(null), fromConfig: fc.integer() }),
  ) as fc.Arbitrary<PeerMessage>;

  it('decodePeer(encodePeer(m)) = m for the spec messages and the shell\'s own', () => {
    fc.assert(
      fc.property(message, (m) => {
        const frame = encodePeer(m);
        expect(frame.readInt32BE(0)).toBe(frame.length - 4);
        expect(decodePeer(frame.subarray(4))).toEqual({ ok: true, value: m });
      }),
      { numRuns: 500 },
    );
  });

  it('the write messages travel in binary, a traced message id with them; other messages as JSON', () => {
    const txn = { zxid: 0x1_0000_0007, time: 3, session: 9n, op: { type: 'setData' as const, path: '/a', data: new Uint8Array([1, 2]), version: 1 } };
    const proposal: PeerMessage = { type: 'PROPOSAL', txn: { zxid: txn.zxid, value: { kind: 'txn', txn, origin: { server: 2, id: 2 ** 40 } } } };
    for (const m of [proposal, { type: 'ACK', zxid: txn.zxid }, { type: 'COMMIT', zxid: 5 }, { type: 'INFORM', txn: { zxid: txn.zxid, value: { kind: 'txn', txn } } }] as PeerMessage[]) {
      const frame = encodePeer(m, '2:1:17');
      expect(frame[4], m.type).toBeLessThan(0x20);
      expect(decodePeerFrame(frame.subarray(4))).toEqual({ ok: true, value: { msg: m, mid: '2:1:17' } });
      expect(decodePeerFrame(encodePeer(m).subarray(4))).toEqual({ ok: true, value: { msg: m } });
    }
    expect(encodePeer({ type: 'UPTODATE' }, '1:1:1')[4]).toBe('{'.charCodeAt(0));
    // The decoded data is a copy: it does not keep the frame (a view of a socket chunk) alive.
    const frame = encodePeer(proposal).subarray(4);
    const d = decodePeerFrame(frame);
    expect(d.ok && d.value.msg.type === 'PROPOSAL' && d.value.msg.txn.value.kind === 'txn' && d.value.msg.txn.value.txn.op.type === 'setData' && d.value.msg.txn.value.txn.op.data?.buffer !== frame.buffer).toBe(true);
    // Malformed binary bodies are refused with a reason.
    const ack = encodePeer({ type: 'ACK', zxid: 5 }).subarray(4);
    const refused = (bytes: Uint8Array) => decodePeerFrame(bytes) as { ok: boolean; error?: string };
    expect(refused(Uint8Array.of(9, 0, 0, 0, 0, 0, 0, 0, 0, 5))).toMatchObject({ ok: false, error: 'peer message tag 9' });
    expect(refused(Uint8Array.of(2, 8, ...ack.subarray(2)))).toMatchObject({ ok: false, error: 'peer message flags 8' });
    expect(refused(Uint8Array.of(2, 2, ...ack.subarray(2)))).toMatchObject({ ok: false });
    expect(refused(ack.subarray(0, 6)).ok).toBe(false);
    expect(refused(Uint8Array.of(...ack, 0))).toMatchObject({ ok: false, error: '1 bytes after ACK' });
    expect(refused(Uint8Array.of(2, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))).toMatchObject({ ok: false, error: 'zxid -1' });
    expect(refused(Uint8Array.of(1))).toMatchObject({ ok: false, error: 'truncated peer message' });
  });

  it('a snapshot travels as its serialized tree', () => {
    const tree = apply(emptyTree(), { zxid: 5, time: 1, session: 0n, op: { type: 'create', path: '/a', data: new Uint8Array([1]), acl: OPEN_ACL, kind: { type: 'persistent' }, parentCreates: 2, withStat: false } }).tree;
    const d = decodePeer(encodePeer({ type: 'SNAP', txns: [{ zxid: 5, value: { kind: 'base', tree } }], snapIndex: 1, committed: 5 }).subarray(4));
    expect(d.ok && d.value.type === 'SNAP' && d.value.txns[0]!.value.kind === 'base' && Buffer.from(serializeTree(d.value.txns[0]!.value.tree)).equals(Buffer.from(serializeTree(tree)))).toBe(true);
  });

  it('random bytes and random JSON are refused with a reason, never thrown', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.of(1 + (b[0] ?? 0) % 4, (b[1] ?? 0) % 4, ...b)), fc.json().map((j) => new Uint8Array(Buffer.from(j)))), (bytes) => {
        const d = decodePeer(bytes);
        if (!d.ok) expect(d.error.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
    // A txn whose bytes do not decode, and one that claims another zxid than its entry.
    const bad = (body: unknown) => decodePeer(Buffer.from(JSON.stringify(body)));
    expect(bad({ type: 'PROPOSAL', txn: { zxid: 1, value: { kind: 'txn', txn: 'AAAA' } } }).ok).toBe(false);
    const t = Buffer.from(encodeTxn({ zxid: 7, time: 0, session: 0n, op: { type: 'check', path: '/' } })).toString('base64');
    expect(bad({ type: 'PROPOSAL', txn: { zxid: 8, value: { kind: 'txn', txn: t } } })).toMatchObject({ ok: false, error: 'txn 7 sent as 8' });
  });
});
