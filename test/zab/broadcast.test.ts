// Discovery and broadcast rules, one step at a time in the simulated world (model/script.ts): what
// each rule makes a server do, observed on the world's state and channels.
import { describe, expect, it } from 'vitest';
import { makeZxid, step, type Learning, type Leading } from '../../src/zab/index.ts';
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

  it('BCAST-11: a leader that steps down (BCAST-9, no quorum heard) disconnects every learner', () => {
    const s = established();
    command(s, 'timeout 3 sync'); // clears what it heard at establishment
    command(s, 'timeout 3 sync'); // nothing heard since: no quorum
    expect(server(s, 3).phase).toBe('looking');
    for (const sid of [1, 2, 4]) expect(server(s, sid).phase).toBe('looking'); // their connection broke
  });
});
