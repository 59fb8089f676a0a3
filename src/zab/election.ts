// spec/election.md — Fast Leader Election.
import { commonOf, type Ctx } from './ctx.ts';
import { startLeading, startLearning } from './discovery.ts';
import { deliveredCount, lastZxid } from './history.ts';
import { isQuorum, isVoter, otherVoters } from './quorum.ts';
import type { Ballot, Looking, Message, PeerState, ServerState, Sid, Vote } from './types.ts';

type Notification = Extract<Message<unknown>, { type: 'NOTIFICATION' }>;

/** ELECT-14: an observer's vote names nobody and loses to every real vote. */
export const NO_VOTE: Vote = { leader: -1, zxid: -1, epoch: -1 };

/** ELECT-1: votes are ordered by (epoch, zxid, leader sid), lexicographically. */
export function isBetter(s: ServerState<unknown>, a: Vote, b: Vote): boolean {
  if (s.config.deviation === 'vote-by-sid') return a.leader > b.leader; // mutant: ZOOKEEPER-1419's class
  if (a.epoch !== b.epoch) return a.epoch > b.epoch;
  if (a.zxid !== b.zxid) return a.zxid > b.zxid;
  return a.leader > b.leader;
}

export function sameVote(a: Vote, b: Vote): boolean {
  return a.leader === b.leader && a.zxid === b.zxid && a.epoch === b.epoch;
}

/** ELECT-9: servers outside the election agree when they name the same leader and epoch. */
function sameLeader(a: Vote, b: Vote): boolean {
  return a.leader === b.leader && a.epoch === b.epoch;
}

/** ELECT-2: a voter first votes for itself with its (currentEpoch, last zxid). */
export function initialVote(s: ServerState<unknown>): Vote {
  if (!isVoter(s.config, s.config.sid)) return NO_VOTE; // ELECT-14
  return { leader: s.config.sid, zxid: lastZxid(s.history), epoch: s.currentEpoch };
}

function notification<T>(s: ServerState<T>): Message<T> {
  const state: PeerState = s.phase;
  return { type: 'NOTIFICATION', vote: s.vote, round: s.round, state };
}

function broadcastVote<T>(ctx: Ctx<T>): void {
  const msg = notification(ctx.state);
  for (const v of otherVoters(ctx.cfg)) ctx.send(v, msg);
}

function ownBallot(s: ServerState<unknown>, votes: Readonly<Record<Sid, Ballot>>): Readonly<Record<Sid, Ballot>> {
  if (!isVoter(s.config, s.config.sid)) return votes; // ELECT-14: an observer's ballot never counts
  return { ...votes, [s.config.sid]: { vote: s.vote, round: s.round, state: 'looking' } };
}

/**
 * ELECT-2: enter LOOKING — a new round, a vote for oneself, a notification to every voter.
 * The caller has already dropped its leader or learners (BCAST-11).
 */
export function startLooking<T>(ctx: Ctx<T>): void {
  let s = ctx.state;
  if (s.config.deviation === 'rebuild-from-delivered' && deliveredCount(s) < s.history.length) {
    // mutant (ZOOKEEPER-2845's mechanism): memory is rebuilt from what was applied; the disk keeps more
    s = ctx.patch({ history: s.history.slice(0, deliveredCount(s)) });
  }
  const round = s.round + 1;
  const vote = initialVote(s);
  const looking = commonOf(s) as Looking<T>; // no object spread: see startLeading
  Object.assign(looking, { phase: 'looking', round, vote, votes: {}, outOfElection: {}, finalizing: false, backlog: {} });
  Object.assign(looking, { votes: ownBallot(looking, {}) });
  ctx.state = looking;
  broadcastVote(ctx);
  ctx.timer('notify', s.config.timing.notifyMs);
  ctx.rule('ELECT-7');
  maybeFinalize(ctx); // ELECT-7: in an ensemble of one, one's own vote is already a quorum
}

/** Every NOTIFICATION, whatever this server's phase. */
export function onNotification<T>(ctx: Ctx<T>, from: Sid, n: Notification): void {
  const s = ctx.state;
  // ELECT-3: a voter answers a non-voter (an observer looking for its leader) with its current vote.
  if (!isVoter(s.config, from)) {
    ctx.rule('ELECT-3');
    if (isVoter(s.config, s.config.sid)) ctx.send(from, notification(s));
    return;
  }
  if (s.phase !== 'looking') {
    // ELECT-11: a voter outside the election tells a looking voter whom it follows. An observer
    ctx.rule('ELECT-11');
    // stays silent: voters ignore what it says (ELECT-9), and its answer to a voter's answer
    // (ELECT-3) would start an endless exchange.
    if (n.state === 'looking' && isVoter(s.config, s.config.sid)) ctx.send(from, notification(s));
    return;
  }
  if (n.state === 'looking') lookingFromLooking(ctx, s, from, n);
  else if (n.state === 'following' || n.state === 'leading') lookingFromSettled(ctx, s, from, n);
  // ELECT-9: notifications from observing servers carry no vote worth counting.
}

function lookingFromLooking<T>(ctx: Ctx<T>, s: Looking<T>, from: Sid, n: Notification): void {
  const ballot: Ballot = { vote: n.vote, round: n.round, state: n.state };
  if (n.round !== s.round && s.config.deviation === 'ignore-election-round') return; // mutant: ELECT-4/5 dropped
  if (n.round > s.round) {
    // ELECT-4: a later round wins: join it, forget the old round's votes, keep the better vote.
    ctx.rule('ELECT-4');
    const mine = initialVote(s);
    const vote = isBetter(s, n.vote, mine) ? n.vote : mine;
    const next = ctx.patch<Looking<T>>({ round: n.round, vote, finalizing: false, votes: {} });
    ctx.patch<Looking<T>>({ votes: ownBallot(next, { [from]: ballot }) });
    broadcastVote(ctx);
  } else if (n.round < s.round) {
    // ELECT-5: a server in an older round is told ours, so it catches up.
    ctx.rule('ELECT-5');
    ctx.send(from, notification(s));
    return;
  } else if (isBetter(s, n.vote, s.vote)) {
    // ELECT-6: a better vote in our round is adopted and re-announced; it ends any finalize window.
    ctx.rule('ELECT-6');
    const next = ctx.patch<Looking<T>>({ vote: n.vote, finalizing: false });
    ctx.patch<Looking<T>>({ votes: ownBallot(next, { ...next.votes, [from]: ballot }) });
    broadcastVote(ctx);
  } else {
    // ELECT-6: an equal or worse vote in our round is only recorded.
    ctx.rule('ELECT-6');
    if (sameBallot(s.votes[from], ballot)) return;
    ctx.patch<Looking<T>>({ votes: { ...s.votes, [from]: ballot } });
  }
  maybeFinalize(ctx);
}

function sameBallot(a: Ballot | undefined, b: Ballot): boolean {
  return a !== undefined && a.round === b.round && a.state === b.state && sameVote(a.vote, b.vote);
}

/** ELECT-7: a quorum of identical votes in our round opens the finalize window. */
function maybeFinalize<T>(ctx: Ctx<T>): void {
  const s = ctx.state as Looking<T>;
  if (s.finalizing) return;
  const agreeing = Object.entries(s.votes)
    .filter(([, b]) => b.round === s.round && sameVote(b.vote, s.vote))
    .map(([sid]) => Number(sid));
  if (!isQuorum(s.config, agreeing)) return;
  ctx.patch<Looking<T>>({ finalizing: true });
  ctx.timer('finalize', s.config.timing.finalizeMs);
}

/** ELECT-8: the finalize window passed with no better vote: the vote is final. */
export function onFinalizeTimeout<T>(ctx: Ctx<T>): void {
  const s = ctx.state;
  if (s.phase !== 'looking' || !s.finalizing) return;
  ctx.rule('ELECT-8');
  decide(ctx, s.vote, s.round);
}

/** ELECT-12: no decision yet: announce the vote again and wait once more. */
export function onNotifyTimeout<T>(ctx: Ctx<T>): void {
  const s = ctx.state;
  if (s.phase !== 'looking') return;
  ctx.rule('ELECT-12');
  broadcastVote(ctx);
  ctx.timer('notify', s.config.timing.notifyMs);
}

function lookingFromSettled<T>(ctx: Ctx<T>, s: Looking<T>, from: Sid, n: Notification): void {
  ctx.rule('ELECT-10');
  const ballot: Ballot = { vote: n.vote, round: n.round, state: n.state };
  // ELECT-9: in our own round a settled server's vote counts like any other.
  if (n.round === s.round) {
    const votes = { ...s.votes, [from]: ballot };
    ctx.patch<Looking<T>>({ votes });
    if (agreeOn(s, votes, n.vote) && checkLeader(s, votes, n.vote.leader, n.round)) {
      decide(ctx, n.vote, n.round);
      return;
    }
  }
  // ELECT-9: a quorum of servers outside the election, including the leader itself, names the leader.
  const outOfElection = { ...s.outOfElection, [from]: ballot };
  ctx.patch<Looking<T>>({ outOfElection });
  if (agreeOn(s, outOfElection, n.vote) && checkLeader(s, outOfElection, n.vote.leader, n.round)) {
    ctx.patch<Looking<T>>({ round: n.round });
    decide(ctx, n.vote, n.round);
  }
}

function agreeOn(s: Looking<unknown>, ballots: Readonly<Record<Sid, Ballot>>, vote: Vote): boolean {
  const agreeing = Object.entries(ballots)
    .filter(([, b]) => sameLeader(b.vote, vote))
    .map(([sid]) => Number(sid));
  return isQuorum(s.config, agreeing);
}

/** ELECT-10: follow another server only on its own word that it leads; lead only in our round. */
function checkLeader(s: Looking<unknown>, ballots: Readonly<Record<Sid, Ballot>>, leader: Sid, round: number): boolean {
  if (leader !== s.config.sid) return ballots[leader]?.state === 'leading';
  return s.round === round;
}

/** ELECT-13: the decided vote picks the role: lead, follow, or (an observer) observe. */
function decide<T>(ctx: Ctx<T>, vote: Vote, round: number): void {
  const s = ctx.state as Looking<T>;
  const backlog = s.backlog;
  ctx.rule('ELECT-13');
  ctx.patch<Looking<T>>({ vote, round, finalizing: false });
  if (vote.leader === s.config.sid) startLeading(ctx, backlog);
  else startLearning(ctx, vote.leader);
}
