import { describe, expect, it } from 'vitest';
import { applyPersist, counterOf, emptyDurable, epochOf, formatZxid, makeZxid, MAX_EPOCH, type Durable } from '../../src/zab/index.ts';

const t = (c: number) => ({ zxid: makeZxid(1, c), value: c });

describe('PERSIST-5 persist operations', () => {
  it('sets epochs, appends, truncates, snapshots and compacts', () => {
    let d: Durable<number> = emptyDurable();
    d = applyPersist(d, { kind: 'acceptedEpoch', epoch: 2 });
    d = applyPersist(d, { kind: 'currentEpoch', epoch: 1 });
    d = applyPersist(d, { kind: 'append', txns: [t(1), t(2), t(3)] });
    expect(d).toEqual({ acceptedEpoch: 2, currentEpoch: 1, history: [t(1), t(2), t(3)], snapIndex: 0 });
    // a compaction changes nothing on disk until its snapshot is written (PERSIST-9)
    expect(applyPersist(d, { kind: 'compact', snapIndex: 2 })).toBe(d);
    d = applyPersist(d, { kind: 'truncate', zxid: makeZxid(1, 1) });
    expect(d.history).toEqual([t(1)]);
    expect(d.snapIndex).toBe(0);
    // a SNAP's disk: its snapshot entry, then the log after it
    const base = { zxid: makeZxid(1, 2), value: 2, snapshot: true as const };
    d = applyPersist(d, { kind: 'snapshot', txns: [base, t(3)], snapIndex: 2 });
    expect(d).toEqual({ acceptedEpoch: 2, currentEpoch: 1, history: [base, t(3)], snapIndex: 1 });
    d = applyPersist(d, { kind: 'truncate', zxid: makeZxid(1, 2) });
    expect(d).toEqual({ acceptedEpoch: 2, currentEpoch: 1, history: [base], snapIndex: 1 });
    expect(applyPersist(d, { kind: 'snapshot', txns: [t(1), t(2)], snapIndex: 0 }).snapIndex).toBe(0);
  });
});

describe('zxids', () => {
  it('split into epoch and counter and print as ZooKeeper does', () => {
    const z = makeZxid(MAX_EPOCH, 0xffffffff);
    expect(Number.isSafeInteger(z)).toBe(true);
    expect(epochOf(z)).toBe(MAX_EPOCH);
    expect(counterOf(z)).toBe(0xffffffff);
    expect(formatZxid(makeZxid(0x1a, 0x2b))).toBe('1a.2b');
  });
});
