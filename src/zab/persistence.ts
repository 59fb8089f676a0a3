// spec/persistence.md — what survives a crash, and how a server starts from it.
import { checkEstablished } from './sync.ts';
import { tryCommit } from './broadcast.ts';
import { Ctx } from './ctx.ts';
import { startLooking, NO_VOTE } from './election.ts';
import { collapse, countUpTo, deliveredCount } from './history.ts';
import { ZERO_ZXID } from './zxid.ts';
import type { Config, Durable, Looking, PersistOp, ServerState, StepResult } from './types.ts';

/** PERSIST-1: a server that never ran has accepted no epoch and holds no txn. */
export function emptyDurable<T>(): Durable<T> {
  return { acceptedEpoch: 0, currentEpoch: 0, history: [], snapIndex: 0 };
}

/**
 * PERSIST-4: a (re)start keeps only the durable state; nothing is delivered until a leader
 * says what is committed (SYNC-9), and the server starts looking in round 1.
 */
export function boot<T>(config: Config, durable: Durable<T>, rules?: string[]): StepResult<T> {
  const seed: Looking<T> = {
    config,
    acceptedEpoch: durable.acceptedEpoch,
    currentEpoch: durable.currentEpoch,
    history: durable.history,
    snapIndex: durable.snapIndex,
    deliveredZxid: ZERO_ZXID,
    round: 0,
    vote: NO_VOTE,
    ticket: 0,
    durable: 0,
    phase: 'looking',
    votes: {},
    outOfElection: {},
    finalizing: false,
    backlog: {},
  };
  const ctx = new Ctx<T>(seed, false, rules);
  ctx.rule('PERSIST-4', 'ELECT-2');
  startLooking(ctx);
  return [ctx.state, ctx.effects];
}

/** PERSIST-8: a completed persist may complete the leader's own ACKs (SYNC-8, BCAST-4). */
export function onPersisted<T>(ctx: Ctx<T>, ticket: number): void {
  const s = ctx.state;
  if (ticket <= s.durable || ticket > s.ticket) return ctx.rule('PERSIST-2'); // PERSIST-2: completions come once, in order
  ctx.rule('PERSIST-8');
  ctx.patch({ durable: ticket });
  checkEstablished(ctx);
  tryCommit(ctx);
}

/**
 * PERSIST-6: after delivering, snapshot once snapCount txns have been delivered past the last one;
 * PERSIST-10: or when this is the first delivery since the (re)start (`from` 0) and it reaches past
 * the snapshot, so that the next restart loads what this one replayed instead of replaying it again.
 */
export function maybeCompact<T>(ctx: Ctx<T>, first: boolean): void {
  const s = ctx.state;
  const n = s.config.snapCount;
  if (n <= 0) return;
  const delivered = deliveredCount(s);
  const past = delivered - s.snapIndex;
  if (past < n && !(first && past > 0)) return;
  ctx.patch({ snapIndex: delivered });
  ctx.persist({ kind: 'compact', snapIndex: delivered });
}

/**
 * PERSIST-9: once the snapshot of history[0..n) is written, those n entries become one entry that
 * carries the n-th zxid and the snapshot: memory stays bounded, and every later decision, which
 * reads zxids (a learner behind it is sent SNAP either way, SYNC-4), is the same.
 */
export function onCompacted<T>(ctx: Ctx<T>, zxid: number, base: T): void {
  const s = ctx.state;
  const n = countUpTo(s.history, zxid);
  if (n <= 1 || s.history[n - 1]!.zxid !== zxid || zxid > s.deliveredZxid || n > s.snapIndex) return;
  ctx.rule('PERSIST-11');
  ctx.patch(collapse(s.history, s.snapIndex, zxid, base));
}

/** PERSIST-5: the meaning of each persist op on durable state (the executor's half of the contract). */
export function applyPersist<T>(d: Durable<T>, op: PersistOp<T>): Durable<T> {
  switch (op.kind) {
    case 'acceptedEpoch':
      return { ...d, acceptedEpoch: op.epoch };
    case 'currentEpoch':
      return { ...d, currentEpoch: op.epoch };
    case 'append': {
      // Records a snapshot already holds are skipped, as recovery skips them (PERSIST-11).
      const first = d.history[0];
      const txns = first?.snapshot ? op.txns.filter((t) => t.zxid > first.zxid) : op.txns;
      return { ...d, history: [...d.history, ...txns] };
    }
    case 'truncate': {
      const keep = countUpTo(d.history, op.zxid);
      return { ...d, history: d.history.slice(0, keep), snapIndex: Math.min(d.snapIndex, keep) };
    }
    // What the disk holds, not what memory intends: a snapshot entry first, or none (the storage
    // code records no compaction until its snapshot is written; `zabkit simulate --schedule` found
    // a restart whose snapIndex the disk could not have given).
    case 'snapshot':
      return { ...d, history: op.txns, snapIndex: op.txns[0]?.snapshot ? 1 : 0 };
    case 'compact':
      return d; // PERSIST-9: the disk changes when the snapshot is written (applySnapshot)
  }
}

/**
 * PERSIST-11: a snapshot of the committed state at `zxid` is written: the disk holds it and the
 * log records after it. A disk that already holds a snapshot as new or newer is unchanged (a
 * restart loads the newest snapshot).
 */
export function applySnapshot<T>(d: Durable<T>, zxid: number, base: T): Durable<T> {
  const first = d.history[0];
  if (first?.snapshot && first.zxid >= zxid) return d;
  return { ...d, ...collapse(d.history, d.snapIndex, zxid, base) };
}

/** The durable state a server's own view implies once every persist it issued completes. */
export function impliedDurable<T>(s: ServerState<T>): Durable<T> {
  return { acceptedEpoch: s.acceptedEpoch, currentEpoch: s.currentEpoch, history: s.history, snapIndex: s.snapIndex };
}
