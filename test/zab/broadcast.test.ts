// Discovery and broadcast rules, one step at a time in the simulated world (model/script.ts): what
// each rule makes a server do, observed on the world's state and channels.
import { describe, expect, it } from 'vitest';
import { makeZxid, step, type Effect, type Learning, type Leading } from '../../src/zab/index.ts';
import { command, newSession, stabilize, type Session } from '../../model/script.ts';
import { chan } from '../../model/world.ts';

function world(script: string): Session {
  const session = newSession();
  for (const line of script.trim().split('\n')) command(session, line.trim());
  return session;
}

const server = (s: Session, sid: number) => s.world.slots[sid]!.server!;
const inFlight = (s: Session, from: number, to: number) => s.world.channels[chan(from, to)]!.map((m) => m.type);

describe('discovery', () => {
  it('DISC-1, DISC-3, DISC-5: the elected server leads; learners send FOLLOWERINFO; a quorum of them fixes a new epoch', () => {
    const s = world(`
      world voters=1,2,3
      start 1 2 3`);
    stabilize(s, (w) => w.slots[1]!.server?.phase === 'following');
    expect(inFlight(s, 1, 3)).toContain('FOLLOWERINFO'); // DISC-5
    stabilize(s);
    const leader = server(s, 3) as Leading<string>;
    expect([leader.phase, leader.stage, leader.epoch]).toEqual(['leading', 'broadcast', 1]); // DISC-1, DISC-3
    expect([server(s, 1).acceptedEpoch, server(s, 2).acceptedEpoch]).toEqual([1, 1]);
  });

  it('DISC-6: a learner refuses LEADERINFO for an epoch below the one it accepted, and looks again', () => {
    const s = world(`
      world voters=1,2,3
      start 1 2 3`);
    stabilize(s, (w) => w.slots[1]!.server?.phase === 'following');
    const learner = { ...(server(s, 1) as Learning<string>), acceptedEpoch: 5 };
    const [after, effects] = step(learner, { type: 'receive', from: 3, msg: { type: 'LEADERINFO', epoch: 2 } });
    expect(after.phase).toBe('looking');
    expect(effects).toContainEqual({ type: 'disconnect', peer: 3 }); // BCAST-11: it drops the leader
  });
});

describe('discovery: the leader\'s quorum of ACKEPOCHs', () => {
  // Server 3 leads epoch 1 and has sent LEADERINFO; server 1's ACKEPOCH has not arrived yet.
  const inDiscovery = () => {
    const s = world(`
      world voters=1,2,3
      start 1 2 3`);
    stabilize(s, (w) => {
      const l = w.slots[3]!.server;
      return l?.phase === 'leading' && l.epoch > 0 && l.learners[1]?.stage === 'info';
    });
    return server(s, 3) as Leading<string>;
  };
  const ackEpoch = (currentEpoch: number, lastZxid: number) => ({ type: 'ACKEPOCH', currentEpoch, lastZxid }) as const;
  const sentTo = (effects: readonly Effect<string>[], to: number) =>
    effects.flatMap((e) => (e.type === 'send' && e.to === to ? [e.msg.type] : e.type === 'sendAfterPersist' && e.to === to ? [`${e.msg.type} after #${e.ticket}`] : []));

  it('DISC-7: an ACKEPOCH more recent than the leader is refused: the learner is dropped, disconnected, not counted', () => {
    const leader = inDiscovery();
    expect(leader.stage).toBe('discovery');
    const [after, effects] = step(leader, { type: 'receive', from: 1, msg: ackEpoch(5, 0) });
    expect(after.phase === 'leading' && [after.stage, after.learners[1], after.epochAcks]).toEqual(['discovery', undefined, [3]]);
    expect(effects).toContainEqual({ type: 'disconnect', peer: 1 });
  });

  it('DISC-8, SYNC-1, PERSIST-7: a quorum of ACKEPOCHs fixes currentEpoch; the sync goes now, NEWLEADER once currentEpoch is durable', () => {
    const leader = inDiscovery();
    const [after, effects] = step(leader, { type: 'receive', from: 1, msg: ackEpoch(0, 0) });
    expect(after.phase === 'leading' && [after.stage, after.currentEpoch, after.epochAcks]).toEqual(['sync', leader.epoch, [3, 1]]);
    const persist = effects.find((e) => e.type === 'persist');
    expect(persist?.type === 'persist' && persist.op).toEqual({ kind: 'currentEpoch', epoch: leader.epoch });
    const ticket = persist?.type === 'persist' ? persist.ticket : -1;
    expect(sentTo(effects, 1)).toEqual(['DIFF', `NEWLEADER after #${ticket}`]);
  });

  it('DISC-8: a learner whose ACKEPOCH comes after the quorum is synchronized at once, even a more recent one', () => {
    const leader = inDiscovery();
    const [quorum] = step(leader, { type: 'receive', from: 1, msg: ackEpoch(0, 0) });
    const [hello] = step(quorum, { type: 'receive', from: 2, msg: { type: 'FOLLOWERINFO', acceptedEpoch: 0 } });
    const [late, effects] = step(hello, { type: 'receive', from: 2, msg: ackEpoch(0, makeZxid(0, 7)) });
    expect(late.phase === 'leading' && late.learners[2]?.stage).toBe('synced');
    expect(sentTo(effects, 2)[0]).toMatch(/^(TRUNC|SNAP)$/); // SYNC-3/4: what it holds beyond the leader goes
  });

  it('SYNC-5: a learner keeps the sync message until NEWLEADER and writes nothing for it', () => {
    const s = world(`
      world voters=1,2,3
      start 1 2 3`);
    stabilize(s, (w) => {
      const f = w.slots[1]!.server;
      return f !== null && f.phase === 'following' && f.pendingSync !== null;
    });
    const follower = server(s, 1) as Learning<string>;
    expect(follower.pendingSync?.type).toBe('DIFF');
    expect(follower.stage).toBe('sync');
    const [same, effects] = step(follower, { type: 'receive', from: 3, msg: follower.pendingSync! });
    expect(same.phase === 'following' && same.pendingSync).toEqual(follower.pendingSync);
    expect(effects.filter((e) => e.type === 'persist')).toEqual([]);
  });
});

describe('broadcast', () => {
  const established = () =>
    world(`
      world voters=1,2,3 observers=4
      start 1 2 3 4
      stabilize`);

  it('BCAST-1, -2, -3, -5: a proposal is logged, ACKed once durable, committed on a quorum, delivered in order', () => {
    const s = established();
    command(s, 'propose 3 a');
    const zxid = makeZxid(1, 1);
    expect(server(s, 3).history.at(-1)?.zxid).toBe(zxid); // BCAST-1: the next zxid of the epoch
    command(s, 'deliver 3>1');
    expect(server(s, 1).history.at(-1)?.zxid).toBe(zxid);
    expect(inFlight(s, 1, 3)).not.toContain('ACK'); // BCAST-2: held until the append is durable
    command(s, 'persist 1 all');
    expect(inFlight(s, 1, 3)).toContain('ACK');
    command(s, 'persist 3 all');
    command(s, 'deliver 1>3');
    expect(server(s, 3).deliveredZxid).toBe(zxid); // BCAST-3, -4: its ACK and the leader's make a quorum
    expect(inFlight(s, 3, 1)).toContain('COMMIT');
    command(s, 'deliver 3>1');
    expect(server(s, 1).deliveredZxid).toBe(zxid); // BCAST-5
  });

  it('PERSIST-8: on `persisted` a leader records what is durable and counts itself: an ensemble of one commits only then', () => {
    const s = world(`
      world voters=1
      start 1
      stabilize`);
    command(s, 'propose 1 a');
    const zxid = makeZxid(1, 1);
    const before = server(s, 1);
    expect([before.history.at(-1)?.zxid, before.deliveredZxid, before.durable < before.ticket]).toEqual([zxid, 0, true]);
    command(s, 'persist 1 all');
    const after = server(s, 1);
    expect([after.durable, after.deliveredZxid]).toEqual([after.ticket, zxid]);
  });

  it('BCAST-6: an observer is INFORMed of each committed txn and delivers it', () => {
    const s = established();
    command(s, 'propose 3 a');
    stabilize(s);
    expect(server(s, 4).phase).toBe('observing');
    expect(server(s, 4).deliveredZxid).toBe(makeZxid(1, 1));
  });

  it('BCAST-7: the leader PINGs its learners each tick and a learner answers', () => {
    const s = established();
    command(s, 'timeout 3 ping');
    expect(inFlight(s, 3, 1)).toEqual(['PING']);
    command(s, 'deliver 3>1');
    expect(inFlight(s, 1, 3)).toEqual(['PING']);
  });

  it('BCAST-8: a learner that heard nothing from its leader for a whole sync period looks again', () => {
    const s = established();
    command(s, 'timeout 1 sync'); // heard since the last period: it only clears the mark
    expect(server(s, 1).phase).toBe('following');
    command(s, 'timeout 1 sync');
    expect(server(s, 1).phase).toBe('looking');
  });

  it('SYNC-7, SYNC-8, SYNC-9: the leader counts the NEWLEADER ACKs, is established by a quorum of them, and each UPTODATE takes a synced learner into broadcast', () => {
    const s = world(`
      world voters=1,2,3
      start 1 2 3
      stabilize until=1:synced`);
    expect((server(s, 1) as Learning<unknown>).stage).toBe('synced');
    command(s, 'persist 1 all');
    command(s, 'persist 3 all');
    expect(inFlight(s, 1, 3)).toContain('ACK'); // its ACK of NEWLEADER (e.0), once what the sync carried is durable
    command(s, 'deliver 1>3');
    const leader = server(s, 3) as Leading<unknown>;
    expect(leader.newLeaderAcks).toContain(1); // SYNC-7
    expect(leader.stage).toBe('broadcast'); // SYNC-8: with its own, a quorum
    expect(inFlight(s, 3, 1)).toContain('UPTODATE');
    command(s, 'deliver 3>1');
    expect((server(s, 1) as Learning<unknown>).stage).toBe('broadcast'); // SYNC-9
  });

  it('BCAST-9, BCAST-10: an established leader that notices it holds no quorum of connected voters steps down at once', () => {
    const s = established();
    command(s, 'crash 2');
    stabilize(s);
    expect(server(s, 3).phase).toBe('leading'); // itself and voter 1: a quorum (observer 4 does not count)
    command(s, 'crash 1');
    stabilize(s);
    expect(server(s, 3).phase).toBe('looking');
  });

  it('BCAST-11: a leader that steps down (BCAST-9, no quorum heard) disconnects every learner', () => {
    const s = established();
    command(s, 'timeout 3 sync'); // clears what it heard at establishment
    command(s, 'timeout 3 sync'); // nothing heard since: no quorum
    expect(server(s, 3).phase).toBe('looking');
    for (const sid of [1, 2, 4]) expect(server(s, sid).phase).toBe('looking'); // their connection broke
  });
});
