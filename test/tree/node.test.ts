// node.ts: a compact node reads back every field it was given — narrow and wide numbers, null,
// empty, small and big values, a view into a bigger buffer — and its digest is a plain node's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NameSet } from '../../src/tree/children.ts';
import { nodeHash } from '../../src/tree/digest.ts';
import { BigNode, CompactNode, INLINE_MAX, nodeWith, plainNode } from '../../src/tree/node.ts';
import { OPEN_ACL } from '../../src/tree/acl.ts';
import type { Znode } from '../../src/tree/types.ts';

const FIELDS = ['czxid', 'mzxid', 'pzxid', 'ctime', 'mtime', 'version', 'aversion', 'childCreates'] as const;

const number = fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }), fc.constantFrom(0, -0, 2 ** 53 - 1, 2 ** 53, -1, 0.5, NaN, 2 ** 64), fc.double());
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const data = fc.oneof(
  fc.constant(null),
  fc.uint8Array({ maxLength: 40 }),
  fc.constantFrom(INLINE_MAX, INLINE_MAX + 1, 5000).map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff)),
  // A view into a bigger buffer, as a value decoded from a request's frame is.
  fc.uint8Array({ minLength: 2, maxLength: 2000 }).map((b) => b.subarray(1)),
);

const plain = fc.record({
  data,
  czxid: number,
  mzxid: number,
  pzxid: number,
  ctime: number,
  mtime: number,
  version: int32,
  aversion: int32,
  childCreates: int32,
});

describe('compact nodes', () => {
  it('read back every field and value; hash as the plain node does', () => {
    fc.assert(
      fc.property(plain, plain, (a, b) => {
        const n: Znode = { ...a, acl: OPEN_ACL, kind: { type: 'persistent' }, children: NameSet.EMPTY };
        const c = nodeWith(n, {});
        expect(c).toBeInstanceOf(CompactNode);
        for (const f of FIELDS) expect(Object.is(c[f], n[f]), f).toBe(true);
        expect(c.data === null ? null : [...c.data]).toEqual(n.data === null ? null : [...n.data]);
        if (n.data && n.data.length > INLINE_MAX) {
          expect(c).toBeInstanceOf(BigNode);
          expect(c.data!.byteLength).toBe(c.data!.buffer.byteLength); // an exact copy, not the frame
        }
        expect(nodeHash('/x', c)).toBe(nodeHash('/x', n));
        // A change of every field from b, and of none but the numbers (the data copied as it is).
        const d = nodeWith(c, b);
        const e = nodeWith(c, { ...b, data: undefined });
        for (const f of FIELDS) {
          expect(Object.is(d[f], b[f]), f).toBe(true);
          expect(Object.is(e[f], b[f]), f).toBe(true);
        }
        expect(d.data === null ? null : [...d.data]).toEqual(b.data === null ? null : [...b.data]);
        expect(e.data === null ? null : [...e.data]).toEqual(n.data === null ? null : [...n.data]);
        expect(nodeHash('/x', e)).toBe(nodeHash('/x', { ...plainNode(e) }));
      }),
      { numRuns: 500 },
    );
  });
});
