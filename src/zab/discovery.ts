// spec/discovery.md — from an election's result to an agreed new epoch.
import { stepDown } from './broadcast.ts';
import { commonOf, type Ctx } from './ctx.ts';
import { lastZxid } from './history.ts';
import { isQuorum, isVoter } from './quorum.ts';
import { syncLearner } from './sync.ts';
import type { Hello, Leading, Learning, LearnerInfo, Looking, Message, Sid } from './types.ts';
import type { Zxid } from './zxid.ts';

type LearnerHello = Extract<Message<unknown>, { type: 'FOLLOWERINFO' | 'OBSERVERINFO' }>;

/** DISC-1: a new leader counts itself among the connecting voters and waits for learners. */
export function startLeading<T>(ctx: Ctx<T>, backlog: Readonly<Record<Sid, Hello>>): void {
  const s = ctx.state;
  ctx.rule('DISC-1');
  // Built by assigning onto a fresh copy of the shared fields: much faster in V8 than an object
  // spread, and this runs at every election decision the checker explores.
  const leading = commonOf(s) as Leading<T>;
  Object.assign(leading, {
    phase: 'leading',
    stage: 'discovery',
    epoch: 0,
    epochTicket: 0,
    learners: {},
    connecting: [s.config.sid],
    epochAcks: [s.config.sid],
    currentEpochTicket: 0,
    newLeaderAcks: [],
    proposals: [],
    heard: [],
  });
  ctx.state = leading;
  ctx.timer('init', s.config.timing.initLimit * s.config.timing.tickMs);
  // DISC-2: learners that connected while we were still looking are taken in now.
  for (const [sid, hello] of Object.entries(backlog)) {
    onLearnerHello(ctx, Number(sid), { type: hello.observer ? 'OBSERVERINFO' : 'FOLLOWERINFO', acceptedEpoch: hello.acceptedEpoch });
  }
  ctx.rule('DISC-4');
  chooseEpochIfQuorum(ctx); // DISC-4: in an ensemble of one the leader alone is a quorum
}

/** DISC-5: a follower (or observer) connects to its leader and reports its acceptedEpoch. */
export function startLearning<T>(ctx: Ctx<T>, leader: Sid): void {
  const s = ctx.state;
  const observer = !isVoter(s.config, s.config.sid);
  const learning = commonOf(s) as Learning<T>; // as in startLeading: no object spread
  ctx.rule('DISC-5');
  Object.assign(learning, { phase: observer ? 'observing' : 'following', leader, stage: 'discovery', pendingSync: null, committed: 0, heard: false });
  ctx.state = learning;
  ctx.send(leader, { type: observer ? 'OBSERVERINFO' : 'FOLLOWERINFO', acceptedEpoch: s.acceptedEpoch });
  ctx.timer('init', s.config.timing.initLimit * s.config.timing.tickMs);
}

/** FOLLOWERINFO / OBSERVERINFO, in any phase. */
export function onLearnerHello<T>(ctx: Ctx<T>, from: Sid, msg: LearnerHello): void {
  const s = ctx.state;
  const observer = msg.type === 'OBSERVERINFO';
  if (s.phase === 'looking') {
    // DISC-2: a server that may yet lead keeps the connection until the election ends.
    ctx.rule('DISC-2');
    const prev = s.backlog[from];
    if (prev && prev.acceptedEpoch === msg.acceptedEpoch && prev.observer === observer) return;
    ctx.patch<Looking<T>>({ backlog: { ...s.backlog, [from]: { acceptedEpoch: msg.acceptedEpoch, observer } } });
    return;
  }
  if (s.phase !== 'leading') return ctx.rule('BCAST-12'); // BCAST-12: only a leader takes learners
  // DISC-3: a (re)connecting learner starts over; its acceptedEpoch may raise the next epoch.
  ctx.rule('DISC-3');
  const info: LearnerInfo = { observer, acceptedEpoch: msg.acceptedEpoch, stage: 'info', peerLast: 0, syncedTo: 0 };
  const next = ctx.patch<Leading<T>>({ learners: { ...s.learners, [from]: info } });
  if (next.epoch === 0) {
    if (isVoter(s.config, from) && !next.connecting.includes(from)) {
      ctx.patch<Leading<T>>({ connecting: [...next.connecting, from] });
    }
    chooseEpochIfQuorum(ctx);
  } else {
    ctx.sendAfter(next.epochTicket, from, { type: 'LEADERINFO', epoch: next.epoch });
  }
}

/** DISC-4: once a quorum has connected, the new epoch is one past every acceptedEpoch seen. */
function chooseEpochIfQuorum<T>(ctx: Ctx<T>): void {
  const s = ctx.state as Leading<T>;
  if (s.phase !== 'leading' || s.epoch !== 0 || !isQuorum(s.config, s.connecting)) return;
  let max = s.acceptedEpoch;
  for (const l of Object.values(s.learners)) max = Math.max(max, l.acceptedEpoch);
  const epoch = max + 1;
  ctx.patch<Leading<T>>({ epoch, acceptedEpoch: epoch });
  const epochTicket = ctx.persist({ kind: 'acceptedEpoch', epoch });
  ctx.patch<Leading<T>>({ epochTicket });
  // PERSIST-7: LEADERINFO leaves only once the chosen epoch is durable here.
  for (const sid of Object.keys(s.learners)) ctx.sendAfter(epochTicket, Number(sid), { type: 'LEADERINFO', epoch });
  ctx.rule('DISC-8');
  establishEpochIfQuorum(ctx); // DISC-8: the leader's own acknowledgement may already be a quorum
}

/** LEADERINFO at a learner. */
export function onLeaderInfo<T>(ctx: Ctx<T>, from: Sid, epoch: number): void {
  const s = ctx.state;
  if (s.phase === 'looking' || s.phase === 'leading' || s.leader !== from || s.stage !== 'discovery') return ctx.rule('BCAST-12'); // BCAST-12
  if (epoch < s.acceptedEpoch) {
    // DISC-6: a learner never goes back to an epoch older than one it accepted.
    ctx.rule('DISC-6');
    stepDown(ctx);
    return;
  }
  const ack: Message<T> = { type: 'ACKEPOCH', currentEpoch: s.currentEpoch, lastZxid: lastZxid(s.history) };
  if (epoch > s.acceptedEpoch) {
    // DISC-5: the new epoch is durable before ACKEPOCH promises to follow it.
    ctx.rule('DISC-5');
    ctx.patch<Learning<T>>({ acceptedEpoch: epoch, stage: 'sync', heard: true });
    const t = ctx.persist({ kind: 'acceptedEpoch', epoch });
    ctx.sendAfter(t, from, ack);
  } else {
    // DISC-5: already accepted (a reconnect within the same epoch): nothing new to make durable.
    ctx.rule('DISC-5');
    ctx.patch<Learning<T>>({ stage: 'sync', heard: true });
    ctx.sendAfter(ctx.state.ticket, from, ack);
  }
}

/** (currentEpoch, lastZxid) comparison of DISC-7. */
function isMoreRecent(aEpoch: number, aZxid: Zxid, bEpoch: number, bZxid: Zxid): boolean {
  return aEpoch > bEpoch || (aEpoch === bEpoch && aZxid > bZxid);
}

/** ACKEPOCH at the leader. */
export function onAckEpoch<T>(ctx: Ctx<T>, from: Sid, currentEpoch: number, peerLast: Zxid): void {
  const s = ctx.state;
  if (s.phase !== 'leading') return ctx.rule('BCAST-12'); // BCAST-12
  const learner = s.learners[from];
  if (!learner || learner.stage !== 'info' || s.epoch === 0) return ctx.rule('BCAST-12'); // BCAST-12
  const heard = s.heard.includes(from) ? s.heard : [...s.heard, from];
  const learners = { ...s.learners, [from]: { ...learner, stage: 'epoch' as const, peerLast } };
  if (s.stage !== 'discovery') {
    // DISC-8: after the quorum, a late learner is synchronized at once.
    ctx.rule('DISC-8');
    ctx.patch<Leading<T>>({ learners, heard });
    syncLearner(ctx, from);
    return;
  }
  if (
    s.config.deviation !== 'keep-stale-history' &&
    isMoreRecent(currentEpoch, peerLast, s.currentEpoch, lastZxid(s.history))
  ) {
    // DISC-7: a learner with a more recent history than ours is refused: we must not lead it.
    ctx.rule('DISC-7');
    const { [from]: _dropped, ...rest } = s.learners;
    ctx.patch<Leading<T>>({ learners: rest, connecting: s.connecting.filter((x) => x !== from) });
    ctx.disconnect(from);
    return;
  }
  const epochAcks = isVoter(s.config, from) && !s.epochAcks.includes(from) ? [...s.epochAcks, from] : s.epochAcks;
  ctx.patch<Leading<T>>({ learners, epochAcks, heard });
  establishEpochIfQuorum(ctx);
}

/** DISC-8: a quorum follows the new epoch: make it our currentEpoch, then synchronize them all. */
function establishEpochIfQuorum<T>(ctx: Ctx<T>, anyway = false): void {
  const s = ctx.state as Leading<T>;
  if (s.stage !== 'discovery' || s.epoch === 0 || (!anyway && !isQuorum(s.config, s.epochAcks))) return;
  ctx.patch<Leading<T>>({ stage: 'sync', currentEpoch: s.epoch });
  const currentEpochTicket = ctx.persist({ kind: 'currentEpoch', epoch: s.epoch });
  ctx.patch<Leading<T>>({ currentEpochTicket });
  for (const [sid, l] of Object.entries(s.learners)) if (l.stage === 'epoch') syncLearner(ctx, Number(sid));
}

/** DISC-9: discovery and synchronization must finish within initLimit ticks. */
export function onInitTimeout<T>(ctx: Ctx<T>): void {
  const s = ctx.state;
  if (s.phase === 'looking') return;
  if (s.stage === 'broadcast') return;
  ctx.rule('DISC-9');
  if (s.phase === 'leading' && s.stage === 'discovery' && s.epoch !== 0 && s.config.deviation === 'establish-on-init-timeout') {
    return establishEpochIfQuorum(ctx, true); // mutant: leaves discovery with the ACKEPOCHs it has
  }
  stepDown(ctx);
}
