// spec/broadcast.md — proposals, ACKs and commits under an established leader; losing it.
import type { Ctx } from './ctx.ts';
import { startLooking } from './election.ts';
import { countUpTo, deliveredCount, lastZxid } from './history.ts';
import { maybeCompact } from './persistence.ts';
import { isVoter, quorumSize, countVoters } from './quorum.ts';
import type { Config, Leading, Learning, Proposal, Sid, Txn } from './types.ts';
import { epochOf, makeZxid, counterOf, ZERO_ZXID, type Zxid } from './zxid.ts';

/** BCAST-11: leave the current leader or learners behind and look for a leader again. */
export function stepDown<T>(ctx: Ctx<T>): void {
  const s = ctx.state;
  ctx.rule('BCAST-11');
  if (s.phase === 'leading') for (const sid of Object.keys(s.learners)) ctx.disconnect(Number(sid));
  else if (s.phase !== 'looking') ctx.disconnect(s.leader);
  startLooking(ctx);
}

/**
 * BCAST-5: deliver the history after deliveredZxid up to entry `count` in order; a snapshot entry
 * is installed rather than delivered (PERSIST-11). PERSIST-6 and PERSIST-10 may then take a snapshot.
 */
export function deliverUpTo<T>(ctx: Ctx<T>, count: number): void {
  const s = ctx.state;
  const from = deliveredCount(s);
  if (count <= from) return;
  ctx.rule('BCAST-5');
  for (let i = from; i < count; i++) {
    const t = s.history[i]!;
    ctx.effects.push(t.snapshot ? { type: 'installSnapshot', zxid: t.zxid, base: t.value } : { type: 'deliver', txn: t });
  }
  ctx.patch({ deliveredZxid: s.history[count - 1]!.zxid });
  maybeCompact(ctx, s.deliveredZxid === ZERO_ZXID);
}

/** BCAST-1: the zxid the leader's next proposal gets (the shell prepares the txn with it). */
export function nextZxid(s: Leading<unknown>): Zxid {
  const last = lastZxid(s.history);
  return epochOf(last) === s.epoch ? last + 1 : makeZxid(s.epoch, 1);
}

/** BCAST-1: a client write at an established leader becomes the next proposal of its epoch. */
export function onPropose<T>(ctx: Ctx<T>, value: T): void {
  const s = ctx.state;
  if (s.phase !== 'leading' || s.stage !== 'broadcast') return ctx.rule('BCAST-1'); // BCAST-1: only an established leader proposes
  const zxid = nextZxid(s);
  ctx.rule('BCAST-1');
  const txn: Txn<T> = { zxid, value };
  ctx.patch<Leading<T>>({ history: ctx.appendHistory(txn) });
  const ticket = ctx.persist({ kind: 'append', txns: [txn] });
  ctx.patch<Leading<T>>({ proposals: [...s.proposals, { zxid, acks: [], ticket }] });
  for (const [sid, l] of Object.entries(s.learners)) {
    if (!l.observer && l.stage !== 'info' && l.stage !== 'epoch') ctx.send(Number(sid), { type: 'PROPOSAL', txn });
  }
  tryCommit(ctx); // an ensemble of one commits on its own durability
}

/** BCAST-2: a follower logs a proposal and ACKs it only once it is durable. */
export function onProposal<T>(ctx: Ctx<T>, from: Sid, txn: Txn<T>): void {
  const s = ctx.state;
  if (s.phase === 'looking' && s.config.deviation === 'log-proposal-while-looking') {
    // mutant (ZOOKEEPER-4712's class): what the old leader sent is still logged after leaving it
    ctx.patch({ history: ctx.appendHistory(txn) });
    ctx.persist({ kind: 'append', txns: [txn] });
    return;
  }
  // mutant: a PROPOSAL judged by its zxid alone, whichever connection it came on (an old leader's)
  const trusting = s.config.deviation === 'accept-older-epoch-proposal';
  if (s.phase !== 'following' || (s.leader !== from && !trusting) || (s.stage !== 'synced' && s.stage !== 'broadcast')) return ctx.rule('BCAST-12'); // BCAST-12
  // BCAST-2: only the current epoch's leader proposes. A stale PROPOSAL of an older epoch cannot
  // come from the leader itself (NET-4: its newer connection superseded the old one); the check
  // is defence in depth, the sender check above is what keeps an old leader's PROPOSALs out.
  const olderEpoch = epochOf(txn.zxid) !== s.currentEpoch && !trusting;
  if (txn.zxid <= lastZxid(s.history) || olderEpoch) {
    ctx.rule('BCAST-2');
    stepDown(ctx); // BCAST-2: a proposal out of order is a broken leader or channel
    return;
  }
  ctx.rule('BCAST-2', 'PERSIST-7');
  ctx.patch<Learning<T>>({ history: ctx.appendHistory(txn) });
  const ticket = ctx.persist({ kind: 'append', txns: [txn] });
  const ack = { type: 'ACK', zxid: txn.zxid } as const;
  if (s.config.deviation === 'ack-before-persist') ctx.send(from, ack); // mutant
  else ctx.sendAfter(ticket, from, ack); // PERSIST-7
}

/** BCAST-3: the leader counts a voter's ACK of a proposal. */
export function onProposalAck<T>(ctx: Ctx<T>, from: Sid, zxid: Zxid): void {
  const s = ctx.state as Leading<T>;
  const learner = s.learners[from];
  if (!learner || learner.observer || !isVoter(s.config, from)) return ctx.rule('BCAST-12'); // BCAST-12
  const i = s.proposals.findIndex((p) => p.zxid === zxid);
  if (i < 0 || s.proposals[i]!.acks.includes(from)) return; // already committed, or a duplicate
  const proposals = s.proposals.slice();
  const p = proposals[i]!;
  ctx.rule('BCAST-3');
  proposals[i] = { ...p, acks: [...p.acks, from] };
  ctx.patch<Leading<T>>({ proposals });
  tryCommit(ctx);
}

function ackers(s: Leading<unknown>, p: Proposal): readonly Sid[] {
  return s.durable >= p.ticket ? [...p.acks, s.config.sid] : p.acks;
}

/** BCAST-4: commit, strictly in zxid order, each proposal a quorum has made durable. */
export function tryCommit<T>(ctx: Ctx<T>): void {
  ctx.rule('BCAST-4');
  let s = ctx.state;
  if (s.phase !== 'leading' || s.stage !== 'broadcast') return;
  const need = s.config.deviation === 'commit-without-quorum' ? quorumSize(s.config) - 1 : quorumSize(s.config);
  let n = 0;
  while (n < s.proposals.length && countVoters(s.config, ackers(s, s.proposals[n]!)) >= need) n++;
  if (n === 0) return;
  const from = deliveredCount(s);
  const done = s.history.slice(from, from + n);
  ctx.patch<Leading<T>>({ proposals: s.proposals.slice(n) });
  deliverUpTo(ctx, from + n);
  s = ctx.state as Leading<T>;
  for (const [sid, l] of Object.entries(s.learners)) {
    if (l.stage === 'info' || l.stage === 'epoch') continue;
    for (const txn of done) {
      if (!l.observer) ctx.send(Number(sid), { type: 'COMMIT', zxid: txn.zxid });
      else if (txn.zxid > l.syncedTo) ctx.send(Number(sid), { type: 'INFORM', txn }); // BCAST-6
    }
  }
}

/** BCAST-5: a follower delivers up to each COMMIT, once UPTODATE has released it. */
export function onCommit<T>(ctx: Ctx<T>, from: Sid, zxid: Zxid): void {
  const s = ctx.state;
  if (s.phase !== 'following' || s.leader !== from || (s.stage !== 'synced' && s.stage !== 'broadcast')) return ctx.rule('BCAST-12'); // BCAST-12
  if (countUpTo(s.history, zxid) === 0 || s.history[countUpTo(s.history, zxid) - 1]!.zxid !== zxid) {
    ctx.rule('BCAST-5');
    stepDown(ctx); // BCAST-5: a COMMIT for a txn we never logged is a broken leader or channel
    return;
  }
  if (zxid > s.committed) ctx.patch<Learning<T>>({ committed: zxid });
  if (s.stage === 'broadcast') deliverUpTo(ctx, countUpTo(s.history, zxid));
}

/** BCAST-6: an observer logs and delivers each committed txn the leader INFORMs it of. */
export function onInform<T>(ctx: Ctx<T>, from: Sid, txn: Txn<T>): void {
  const s = ctx.state;
  if (s.phase !== 'observing' || s.leader !== from || (s.stage !== 'synced' && s.stage !== 'broadcast')) return ctx.rule('BCAST-12'); // BCAST-12
  if (txn.zxid <= lastZxid(s.history)) {
    ctx.rule('BCAST-6');
    stepDown(ctx); // BCAST-6: out of order
    return;
  }
  ctx.patch<Learning<T>>({ history: ctx.appendHistory(txn), committed: txn.zxid });
  ctx.persist({ kind: 'append', txns: [txn] });
  if (s.stage === 'broadcast') deliverUpTo(ctx, ctx.state.history.length);
}

/** BCAST-7: anything from our leader (or, at a leader, from a learner) shows the peer is alive. */
export function noteHeard<T>(ctx: Ctx<T>, from: Sid): void {
  const s = ctx.state;
  if (s.phase === 'leading') {
    if (s.learners[from] && !s.heard.includes(from)) ctx.patch<Leading<T>>({ heard: [...s.heard, from] });
  } else if (s.phase !== 'looking' && s.leader === from && !s.heard) {
    ctx.patch<Learning<T>>({ heard: true });
  }
}

/** BCAST-7: a learner answers the leader's PING, so the leader hears it even when idle. */
export function onPing<T>(ctx: Ctx<T>, from: Sid): void {
  const s = ctx.state;
  if (s.phase !== 'following' && s.phase !== 'observing') return;
  if (s.leader !== from || s.stage === 'discovery') return ctx.rule('BCAST-12'); // BCAST-12
  ctx.rule('BCAST-7');
  ctx.send(from, { type: 'PING' });
}

/** BCAST-7: an established leader PINGs its synced learners every tick. */
export function onPingTimeout<T>(ctx: Ctx<T>): void {
  const s = ctx.state;
  if (s.phase !== 'leading' || s.stage !== 'broadcast') return;
  ctx.rule('BCAST-7');
  for (const [sid, l] of Object.entries(s.learners)) if (l.stage === 'acked' || l.stage === 'uptodate') ctx.send(Number(sid), { type: 'PING' });
  ctx.timer('ping', s.config.timing.tickMs);
}

/**
 * BCAST-8: a learner that heard nothing from its leader for syncLimit ticks looks for another.
 * BCAST-9: a leader that did not hear from a quorum of voters for syncLimit ticks steps down;
 * otherwise it drops each learner in broadcast that it did not hear from.
 */
export function onSyncTimeout<T>(ctx: Ctx<T>): void {
  const s = ctx.state;
  if (s.phase === 'looking' || s.stage !== 'broadcast') return;
  const ms = s.config.timing.syncLimit * s.config.timing.tickMs;
  if (s.phase === 'leading') {
    ctx.rule('BCAST-9');
    if (countVoters(s.config, [...s.heard, s.config.sid]) < quorumSize(s.config)) return stepDown(ctx); // BCAST-9
    // BCAST-9: a silent learner in broadcast is dropped, as if its connection were lost (BCAST-10).
    let learners = s.learners;
    for (const [key, l] of Object.entries(s.learners)) {
      const sid = Number(key);
      if (l.stage !== 'uptodate' || s.heard.includes(sid)) continue;
      ctx.disconnect(sid);
      const { [sid]: _silent, ...rest } = learners;
      learners = rest;
    }
    ctx.patch<Leading<T>>({ heard: [], learners });
  } else {
    ctx.rule('BCAST-8');
    if (!s.heard) return stepDown(ctx); // BCAST-8
    ctx.patch<Learning<T>>({ heard: false });
  }
  ctx.timer('sync', ms);
}

/**
 * BCAST-10: a lost connection: a learner loses its leader; a leader stops forwarding to a learner
 * and forgets having heard it. An established leader whose connected voters are no longer a
 * quorum steps down at once (BCAST-9), as ZooKeeper's leader counts only connected learners.
 */
export function onDisconnected<T>(ctx: Ctx<T>, peer: Sid): void {
  const s = ctx.state;
  ctx.rule('BCAST-10');
  if (s.phase === 'leading') {
    if (!s.learners[peer]) return;
    const { [peer]: _gone, ...learners } = s.learners;
    ctx.patch<Leading<T>>({ learners, heard: s.heard.filter((h) => h !== peer) });
    if (s.config.deviation === 'lead-without-connected-quorum') return; // mutant: finding 2 of issue 20
    if (s.stage === 'broadcast' && !connectedQuorum(s.config, learners)) stepDown(ctx); // BCAST-9
  } else if (s.phase !== 'looking' && s.leader === peer) {
    startLooking(ctx);
  }
}

/** BCAST-9: the leader and the voters it holds connections to are a quorum. */
export function connectedQuorum(cfg: Config, learners: Readonly<Record<Sid, unknown>>): boolean {
  return countVoters(cfg, [...Object.keys(learners).map(Number), cfg.sid]) >= quorumSize(cfg);
}

/** BCAST-3: ACK with counter 0 acknowledges NEWLEADER (SYNC-7); any other, a proposal. */
export function isNewLeaderAck(zxid: Zxid): boolean {
  return counterOf(zxid) === 0;
}
