// node-map.ts against immutable.js's Map: the same entries in the same order after any run of
// sets and removes (snapshot.ts writes nodes in iteration order), persistence (an old map is
// untouched), and children.ts's NameSet against a Set.
import fc from 'fast-check';
import { Map as IMap } from 'immutable';
import { describe, expect, it } from 'vitest';
import { NameSet } from '../../src/tree/children.ts';
import { immutableHash, NodeMap } from '../../src/tree/node-map.ts';
import type { Znode } from '../../src/tree/types.ts';

const node = (i: number) => ({ version: i }) as unknown as Znode;

// Keys made of "Aa" and "BB" collide in immutable's 32-bit hash (all 8 of length 6 share one), so
// collision lists of many keys are exercised; paths fill deep tries.
const key = fc.oneof(
  fc.array(fc.constantFrom('Aa', 'BB'), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('')),
  fc.integer({ min: 0, max: 400 }).map((i) => `/p${i % 7}/n${i}`),
);
const op = fc.oneof(
  fc.tuple(fc.constant('set' as const), key, fc.integer({ min: 0, max: 3 })),
  fc.tuple(fc.constant('remove' as const), key, fc.constant(0)),
);

describe('NodeMap', () => {
  it('has collision keys to test', () => {
    expect(immutableHash('Aa')).toBe(immutableHash('BB'));
    expect(immutableHash('AaAa')).toBe(immutableHash('BBBB'));
  });

  it('iterates as immutable.js Map does, through any run of sets and removes, persistent or mutable', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300, size: 'max' }), fc.boolean(), (ops, mutable) => {
        let ours = mutable ? NodeMap.EMPTY.asMutable() : NodeMap.EMPTY;
        let theirs = mutable ? IMap<string, Znode>().asMutable() : IMap<string, Znode>();
        const values = new Map<number, Znode>();
        const history: [NodeMap, [string, Znode][]][] = [];
        for (const [what, k, v] of ops) {
          const value = values.get(v) ?? node(v);
          values.set(v, value);
          if (!mutable) history.push([ours, [...ours]]);
          if (what === 'set') {
            ours = ours.set(k, value);
            theirs = theirs.set(k, value);
          } else {
            ours = ours.remove(k);
            theirs = theirs.remove(k);
          }
          expect(ours.size).toBe(theirs.size);
          expect(ours.get(k)).toBe(theirs.get(k));
        }
        expect([...ours.keys()]).toEqual([...theirs.keys()]);
        expect([...ours]).toEqual([...theirs]);
        for (const [k, v] of theirs) expect(ours.get(k)).toBe(v);
        // Every earlier map still holds what it held.
        for (const [m, entries] of history) expect([...m]).toEqual(entries);
      }),
      { numRuns: 400 },
    );
  });

  it('keeps a large map (1,000s of keys, deep tries) in immutable.js order', () => {
    let ours = NodeMap.EMPTY;
    let theirs = IMap<string, Znode>();
    const v = node(1);
    for (let i = 0; i < 20_000; i++) {
      const k = `/q/item-${String(i * 7919).padStart(10, '0')}`;
      ours = ours.set(k, v);
      theirs = theirs.set(k, v);
      if (i % 3 === 0) {
        const gone = `/q/item-${String((i >> 1) * 7919).padStart(10, '0')}`;
        ours = ours.remove(gone);
        theirs = theirs.remove(gone);
      }
    }
    expect(ours.size).toBe(theirs.size);
    expect([...ours.keys()]).toEqual([...theirs.keys()]);
  });
});

describe('NameSet', () => {
  it('holds what a Set holds through any run of adds and removes, and old sets stay', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), key), { maxLength: 300, size: 'max' }), (ops) => {
        let ours = NameSet.EMPTY;
        const theirs = new Set<string>();
        const history: [NameSet, string[]][] = [];
        for (const [add, k] of ops) {
          history.push([ours, [...ours].sort()]);
          if (add) {
            ours = ours.addPath(`/p/${k}`, 3);
            theirs.add(k);
          } else {
            ours = ours.removePath(`/p/${k}`, 3);
            theirs.delete(k);
          }
          expect(ours.size).toBe(theirs.size);
          expect(ours.has(k)).toBe(theirs.has(k));
        }
        expect([...ours].sort()).toEqual([...theirs].sort());
        for (const k of theirs) expect(ours.has(k)).toBe(true);
        for (const [s, names] of history) expect([...s].sort()).toEqual(names);
      }),
      { numRuns: 400 },
    );
  });
});
