import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boot, emptyDurable, isBetter, makeZxid, step, type Config, type Effect, type Vote } from '../../src/zab/index.ts';
import { DEFAULT_TIMING } from '../../model/world.ts';

const cfg = (sid: number, voters = [1, 2, 3], observers: number[] = []): Config => ({
  sid,
  voters,
  observers,
  snapCount: 0,
  timing: DEFAULT_TIMING,
});
const [s1] = boot<string>(cfg(1), emptyDurable());
const vote = fc.record({ leader: fc.integer({ min: 1, max: 9 }), zxid: fc.integer({ min: 0, max: 2 ** 40 }), epoch: fc.integer({ min: 0, max: 99 }) });

describe('ELECT-1 vote order', () => {
  it('prefers epoch, then zxid, then sid', () => {
    const v = (epoch: number, zxid: number, leader: number): Vote => ({ epoch, zxid, leader });
    expect(isBetter(s1, v(2, 0, 1), v(1, makeZxid(1, 9), 9))).toBe(true);
    expect(isBetter(s1, v(1, makeZxid(1, 2), 1), v(1, makeZxid(1, 1), 9))).toBe(true);
    expect(isBetter(s1, v(1, 5, 3), v(1, 5, 2))).toBe(true);
    expect(isBetter(s1, v(1, 5, 2), v(1, 5, 2))).toBe(false);
  });

  it('is a strict total order on distinct votes', () => {
    fc.assert(
      fc.property(vote, vote, vote, (a, b, c) => {
        const same = a.leader === b.leader && a.zxid === b.zxid && a.epoch === b.epoch;
        expect(isBetter(s1, a, b) !== isBetter(s1, b, a) || same).toBe(true);
        if (isBetter(s1, a, b) && isBetter(s1, b, c)) expect(isBetter(s1, a, c)).toBe(true);
      }),
    );
  });
});

describe('ELECT-2 / ELECT-14 starting an election', () => {
  it('a voter votes for itself and tells the other voters', () => {
    const [s, effects] = boot<string>(cfg(2), { acceptedEpoch: 3, currentEpoch: 2, history: [{ zxid: makeZxid(2, 4), value: 'x' }], snapIndex: 0 });
    expect(s.phase).toBe('looking');
    expect(s.round).toBe(1);
    expect(s.vote).toEqual({ leader: 2, zxid: makeZxid(2, 4), epoch: 2 });
    expect(effects.filter((e) => e.type === 'send').map((e) => e.type === 'send' && e.to)).toEqual([1, 3]);
    expect(effects).toContainEqual({ type: 'setTimer', timer: 'notify', ms: DEFAULT_TIMING.notifyMs });
  });

  it('an observer votes for nobody and is never counted', () => {
    const [s] = boot<string>(cfg(4, [1, 2, 3], [4]), emptyDurable());
    expect(s.vote.leader).toBe(-1);
    expect(s.phase === 'looking' && Object.keys(s.votes)).toEqual([]);
  });
});

describe('ELECT-4, ELECT-6, ELECT-12: rounds, better votes, resending', () => {
  const notification = (leader: number, round: number) => ({ type: 'NOTIFICATION', vote: { leader, zxid: 0, epoch: 0 }, round, state: 'looking' }) as const;
  const sentVotes = (effects: readonly Effect<string>[]) => effects.flatMap((e) => (e.type === 'send' && e.msg.type === 'NOTIFICATION' ? [[e.to, e.msg.vote.leader, e.msg.round]] : []));

  it('ELECT-4: a notification of a later round is joined: that round, the better vote, sent to every voter', () => {
    const [s] = boot<string>(cfg(2), emptyDurable());
    const [after, effects] = step(s, { type: 'receive', from: 1, msg: notification(1, 5) });
    expect(after.round).toBe(5);
    expect(after.vote.leader).toBe(2); // its own initial vote beats server 1's (ELECT-1: sid)
    expect(after.phase === 'looking' && Object.keys(after.votes).map(Number).sort()).toEqual([1, 2]);
    expect(sentVotes(effects)).toEqual([[1, 2, 5], [3, 2, 5]]);
  });

  it('ELECT-6: in the same round a better vote is adopted and sent on; a worse one is only recorded', () => {
    const [s] = boot<string>(cfg(2), emptyDurable());
    const [better, e1] = step(s, { type: 'receive', from: 3, msg: notification(3, 1) });
    expect(better.vote.leader).toBe(3);
    expect(sentVotes(e1)).toEqual([[1, 3, 1], [3, 3, 1]]);
    const [worse, e2] = step(s, { type: 'receive', from: 1, msg: notification(1, 1) });
    expect(worse.vote).toEqual(s.vote);
    expect(worse.phase === 'looking' && worse.votes[1]?.vote.leader).toBe(1);
    expect(sentVotes(e2)).toEqual([]);
  });

  it('ELECT-12: the notify timer resends the current vote to every voter and re-arms itself', () => {
    const [s] = boot<string>(cfg(1), emptyDurable());
    const [after, effects] = step(s, { type: 'timeout', timer: 'notify' });
    expect(after.vote).toEqual(s.vote);
    expect(sentVotes(effects)).toEqual([[2, 1, 1], [3, 1, 1]]);
    expect(effects).toContainEqual({ type: 'setTimer', timer: 'notify', ms: DEFAULT_TIMING.notifyMs });
  });
});

describe('ELECT-8, ELECT-10, ELECT-13: deciding', () => {
  const settled = (leader: number, state: 'following' | 'leading') => ({ type: 'NOTIFICATION', vote: { leader, zxid: 0, epoch: 1 }, round: 1, state }) as const;

  it('ELECT-10: a quorum of followers naming a leader is not enough without that leader\'s own LEADING ballot', () => {
    const five = [1, 2, 3, 4, 5];
    let [s] = boot<string>(cfg(1, five), emptyDurable());
    for (const from of [2, 3, 4]) [s] = step(s, { type: 'receive', from, msg: settled(5, 'following') });
    expect(s.phase).toBe('looking');
    const [after] = step(s, { type: 'receive', from: 5, msg: settled(5, 'leading') });
    expect(after.phase === 'following' && after.leader).toBe(5); // ELECT-13: a voter follows the named leader
  });

  it('ELECT-8, ELECT-13: when the finalize window closes with no better vote, the vote is final: its leader leads, the others follow', () => {
    let [s2] = boot<string>(cfg(2), emptyDurable());
    const [s3] = boot<string>(cfg(3), emptyDurable());
    [s2] = step(s2, { type: 'receive', from: 3, msg: { type: 'NOTIFICATION', vote: s3.vote, round: 1, state: 'looking' } });
    let [l3, armed] = step(s3, { type: 'receive', from: 2, msg: { type: 'NOTIFICATION', vote: s2.vote, round: 1, state: 'looking' } });
    expect(armed).toContainEqual({ type: 'setTimer', timer: 'finalize', ms: DEFAULT_TIMING.finalizeMs }); // ELECT-7
    expect(l3.phase).toBe('looking');
    [l3] = step(l3, { type: 'timeout', timer: 'finalize' });
    expect(l3.phase).toBe('leading');
    const [f2] = step(s2, { type: 'timeout', timer: 'finalize' });
    expect(f2.phase === 'following' && f2.leader).toBe(3);
  });
});

describe('ELECT-5 and no-op steps', () => {
  it('answers a server of an older round with its own vote', () => {
    const [s] = boot<string>(cfg(1), emptyDurable());
    const [later] = step(s, { type: 'receive', from: 3, msg: { type: 'NOTIFICATION', vote: { leader: 3, zxid: 0, epoch: 0 }, round: 5, state: 'looking' } });
    const [after, effects] = step(later, { type: 'receive', from: 2, msg: { type: 'NOTIFICATION', vote: { leader: 2, zxid: 0, epoch: 0 }, round: 1, state: 'looking' } });
    expect(after).toBe(later);
    expect(effects).toEqual([{ type: 'send', to: 2, msg: { type: 'NOTIFICATION', vote: later.vote, round: 5, state: 'looking' } }]);
  });

  it('returns the very same state and no effects when nothing changes (BCAST-12)', () => {
    const [s] = boot<string>(cfg(1), emptyDurable());
    for (const msg of [{ type: 'UPTODATE' }, { type: 'COMMIT', zxid: 7 }, { type: 'PING' }, { type: 'LEADERINFO', epoch: 4 }] as const) {
      const [after, effects] = step(s, { type: 'receive', from: 2, msg });
      expect(after).toBe(s);
      expect(effects).toEqual([]);
    }
    const [t, e2] = step(s, { type: 'timeout', timer: 'sync' });
    expect(t).toBe(s);
    expect(e2).toEqual([]);
    const [p, e3] = step(s, { type: 'propose', value: 'nope' });
    expect(p).toBe(s);
    expect(e3).toEqual([]);
  });
});
