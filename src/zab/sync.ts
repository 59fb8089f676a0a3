// spec/sync.md — bringing every learner's history in line with the new leader's.
import { connectedQuorum, deliverUpTo, stepDown, tryCommit } from './broadcast.ts';
import type { Ctx } from './ctx.ts';
import { countUpTo, deliveredCount, indexOfZxid, lastZxid } from './history.ts';
import { isQuorum, isVoter } from './quorum.ts';
import type { Leading, Learning, PersistOp, Sid, SyncMessage, Txn } from './types.ts';
import { epochOf, makeZxid, ZERO_ZXID, type Zxid } from './zxid.ts';

/** SYNC-1: what the leader sends one learner once that learner has acknowledged the epoch. */
export function syncLearner<T>(ctx: Ctx<T>, sid: Sid): void {
  const s = ctx.state as Leading<T>;
  const learner = s.learners[sid];
  if (!learner) return;
  ctx.rule('SYNC-1');
  // SYNC-1: before establishment the leader's whole history is what the new epoch commits.
  const committedCount = s.stage === 'broadcast' ? deliveredCount(s) : s.history.length;
  const committed = committedCount > 0 ? s.history[committedCount - 1]!.zxid : ZERO_ZXID;
  // SYNC-1: an observer is sent only what is committed; it learns the rest by INFORM.
  const visible = learner.observer ? s.history.slice(0, committedCount) : s.history;
  const msg = chooseSync(s, visible, learner.peerLast, committed, committedCount);
  ctx.rule(msg.type === 'DIFF' ? 'SYNC-2' : msg.type === 'TRUNC' ? 'SYNC-3' : 'SYNC-4');
  ctx.send(sid, msg);
  ctx.rule('PERSIST-7');
  ctx.sendAfter(s.currentEpochTicket, sid, { type: 'NEWLEADER', epoch: s.epoch }); // PERSIST-7
  ctx.patch<Leading<T>>({
    learners: { ...s.learners, [sid]: { ...learner, stage: 'synced', syncedTo: lastZxid(visible) } },
  });
}

/** SYNC-2..4: DIFF when the learner's last zxid is ours, TRUNC when it is past a txn we share, else SNAP. */
export function chooseSync<T>(
  s: Leading<T>,
  visible: readonly Txn<T>[],
  peerLast: Zxid,
  committed: Zxid,
  committedCount: number,
): SyncMessage<T> {
  const snap: SyncMessage<T> = {
    type: 'SNAP',
    txns: visible,
    snapIndex: Math.min(committedCount, visible.length),
    committed,
  };
  // Entries before snapIndex exist only inside our snapshot: they cannot be sent one by one.
  const diffable = (from: number) => from >= s.snapIndex || from === visible.length;
  const at = peerLast === ZERO_ZXID ? -1 : indexOfZxid(visible, peerLast);
  if (peerLast === ZERO_ZXID || at >= 0) {
    // SYNC-2: the learner's history is a prefix of ours: send what follows.
    return diffable(at + 1) ? { type: 'DIFF', txns: visible.slice(at + 1), committed } : snap;
  }
  if (s.config.deviation === 'skip-trunc') {
    return { type: 'DIFF', txns: visible.slice(countUpTo(visible, peerLast)), committed }; // mutant
  }
  // SYNC-3: the learner has txns we lack. Our last txn of the learner's last epoch below its last
  // zxid is one both hold (one leader numbered that epoch's txns), so truncating there is safe.
  const below = countUpTo(visible, peerLast) - 1;
  const sameEpoch = epochOf(visible[below]?.zxid ?? 0) === epochOf(peerLast);
  if (below >= 0 && sameEpoch && diffable(below + 1)) {
    // mutant: truncate one txn further than the point both hold; that txn is not sent again
    const point = s.config.deviation === 'trunc-one-too-far' ? (visible[below - 1]?.zxid ?? ZERO_ZXID) : visible[below]!.zxid;
    return { type: 'TRUNC', zxid: point, txns: visible.slice(below + 1), committed };
  }
  // SYNC-4: no txn in common can be named from the learner's last zxid alone: send everything.
  return snap;
}

/** SYNC-5: a learner keeps the sync message until NEWLEADER; nothing is written yet. */
export function onSyncMessage<T>(ctx: Ctx<T>, from: Sid, msg: SyncMessage<T>): void {
  const s = ctx.state;
  if (s.phase === 'looking' || s.phase === 'leading' || s.leader !== from || s.stage !== 'sync') return ctx.rule('BCAST-12'); // BCAST-12
  ctx.rule('SYNC-5');
  ctx.patch<Learning<T>>({ pendingSync: msg });
}

/** The history a sync message leaves behind, and the persist ops that make it durable. */
function applySync<T>(
  s: Learning<T>,
  msg: SyncMessage<T>,
): { history: readonly Txn<T>[]; snapIndex: number; ops: PersistOp<T>[] } {
  switch (msg.type) {
    case 'DIFF':
      return {
        history: msg.txns.length ? [...s.history, ...msg.txns] : s.history,
        snapIndex: s.snapIndex,
        ops: msg.txns.length ? [{ kind: 'append', txns: msg.txns }] : [],
      };
    case 'TRUNC': {
      const keep = countUpTo(s.history, msg.zxid);
      const ops: PersistOp<T>[] = [{ kind: 'truncate', zxid: msg.zxid }];
      if (msg.txns.length) ops.push({ kind: 'append', txns: msg.txns });
      return { history: [...s.history.slice(0, keep), ...msg.txns], snapIndex: Math.min(s.snapIndex, keep), ops };
    }
    case 'SNAP': {
      // mutant: the snapshot entry is left off what is written, as a log replaced after it was (issue 19)
      const written = s.config.deviation === 'snap-drops-snapshot' && msg.txns[0]?.snapshot ? msg.txns.slice(1) : msg.txns;
      return {
        history: msg.txns,
        snapIndex: msg.snapIndex,
        ops: [{ kind: 'snapshot', txns: written, snapIndex: Math.min(msg.snapIndex, written.length) }],
      };
    }
  }
}

/**
 * SYNC-4: what a learner has delivered stays delivered across a SNAP: its delivered txns are
 * committed, so the leader's history (or snapshot) holds the same ones, and deliveredZxid still
 * names how far the state machine is. One behind the snapshot entry installs it next (PERSIST-11).
 */
function deliveredAfterSnap<T>(s: Learning<T>, history: readonly Txn<T>[]): Zxid {
  if (s.config.deviation !== 'snap-keeps-delivery-position') return s.deliveredZxid;
  const at = Math.min(deliveredCount(s), history.length); // mutant: the old position read in the new history
  return at === 0 ? ZERO_ZXID : history[at - 1]!.zxid;
}

/** SYNC-6: on NEWLEADER the learner makes the synced history durable, then its currentEpoch, then ACKs. */
export function onNewLeader<T>(ctx: Ctx<T>, from: Sid, epoch: number): void {
  const s = ctx.state;
  if (s.phase === 'looking' || s.phase === 'leading' || s.leader !== from || s.stage !== 'sync') return ctx.rule('BCAST-12'); // BCAST-12
  ctx.rule('SYNC-6');
  if (s.pendingSync === null || epoch !== s.acceptedEpoch) {
    ctx.rule('SYNC-6');
    stepDown(ctx); // SYNC-6: NEWLEADER without a sync, or for an epoch we did not accept, is a broken leader
    return;
  }
  const { history, snapIndex, ops } = applySync(s, s.pendingSync);
  ctx.patch<Learning<T>>({
    history,
    snapIndex,
    ...(s.pendingSync.type === 'SNAP' ? { deliveredZxid: deliveredAfterSnap(s, history) } : {}),
    committed: s.pendingSync.committed,
    pendingSync: null,
    currentEpoch: epoch,
    stage: 'synced',
    heard: true,
  });
  const dev = s.config.deviation;
  if (dev === 'epoch-before-history') ctx.persist({ kind: 'currentEpoch', epoch }); // mutant: ZOOKEEPER-4643
  for (const op of ops) ctx.persist(op);
  const t = dev === 'epoch-before-history' ? ctx.state.ticket : ctx.persist({ kind: 'currentEpoch', epoch });
  const ack = { type: 'ACK', zxid: makeZxid(epoch, 0) } as const;
  if (dev === 'newleader-ack-before-sync-durable') ctx.send(from, ack); // mutant: ZOOKEEPER-3911/4646
  else ctx.sendAfter(t, from, ack); // PERSIST-7: history, then currentEpoch, then the ACK
}

/** SYNC-7: the leader counts a learner's ACK of NEWLEADER. */
export function onNewLeaderAck<T>(ctx: Ctx<T>, from: Sid): void {
  const s = ctx.state as Leading<T>;
  const learner = s.learners[from];
  if (!learner || learner.stage !== 'synced') return ctx.rule('BCAST-12'); // BCAST-12
  const voter = isVoter(s.config, from);
  ctx.rule('SYNC-7');
  // SYNC-7: the ACK vouches for everything the sync carried, so it ACKs those proposals too.
  const proposals = voter
    ? s.proposals.map((p) => (p.zxid <= learner.syncedTo && !p.acks.includes(from) ? { ...p, acks: [...p.acks, from] } : p))
    : s.proposals;
  const newLeaderAcks = voter && !s.newLeaderAcks.includes(from) ? [...s.newLeaderAcks, from] : s.newLeaderAcks;
  ctx.patch<Leading<T>>({ learners: { ...s.learners, [from]: { ...learner, stage: 'acked' } }, newLeaderAcks, proposals });
  if (s.stage === 'broadcast') {
    ctx.rule('SYNC-8');
    upToDate(ctx, from); // SYNC-8: a learner that joins an established leader is released at once
    tryCommit(ctx);
  } else {
    checkEstablished(ctx);
  }
}

function upToDate<T>(ctx: Ctx<T>, sid: Sid): void {
  const s = ctx.state as Leading<T>;
  const learner = s.learners[sid];
  if (!learner) return;
  ctx.send(sid, { type: 'UPTODATE' });
  ctx.patch<Leading<T>>({ learners: { ...s.learners, [sid]: { ...learner, stage: 'uptodate' } } });
}

/**
 * SYNC-8: with a quorum of NEWLEADER ACKs (its own counting once its currentEpoch is durable) the
 * leader is established: its history is committed, and every ACKed learner gets UPTODATE.
 */
export function checkEstablished<T>(ctx: Ctx<T>): void {
  const s = ctx.state;
  if (s.phase !== 'leading' || s.stage !== 'sync') return;
  const acks = s.durable >= s.currentEpochTicket ? [...s.newLeaderAcks, s.config.sid] : s.newLeaderAcks;
  if (!isQuorum(s.config, acks)) return;
  // SYNC-8: from now on the leader's vote names the epoch it established (ELECT-9 compares it).
  ctx.patch<Leading<T>>({ stage: 'broadcast', heard: [], vote: { ...s.vote, epoch: s.epoch } });
  deliverUpTo(ctx, s.history.length);
  for (const [sid, l] of Object.entries(s.learners)) if (l.stage === 'acked') upToDate(ctx, Number(sid));
  // BCAST-9: ACKs of voters whose connections have since dropped made the history committed, but
  // the leader leads only while it holds connections to a quorum.
  if (s.config.deviation !== 'lead-without-connected-quorum' && !connectedQuorum(s.config, ctx.state.phase === 'leading' ? ctx.state.learners : {})) return stepDown(ctx);
  const t = s.config.timing;
  ctx.timer('ping', t.tickMs);
  ctx.timer('sync', t.syncLimit * t.tickMs);
}

/** SYNC-9: UPTODATE: the learner delivers what is committed and starts serving. */
export function onUpToDate<T>(ctx: Ctx<T>, from: Sid): void {
  const s = ctx.state;
  if (s.phase === 'looking' || s.phase === 'leading' || s.leader !== from || s.stage !== 'synced') return ctx.rule('BCAST-12'); // BCAST-12
  ctx.rule('SYNC-9');
  // SYNC-9: the learner's vote now names its leader's established epoch, as the leader's does.
  ctx.patch<Learning<T>>({ stage: 'broadcast', heard: true, vote: { leader: from, zxid: s.vote.zxid, epoch: s.currentEpoch } });
  deliverUpTo(ctx, countUpTo(s.history, s.committed));
  const t = s.config.timing;
  ctx.timer('sync', t.syncLimit * t.tickMs);
}
