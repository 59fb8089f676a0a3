// The reducer: step(state, input) → [state, effects], dispatching by input and message type.
// Pure and deterministic: time, randomness, disks and sockets reach it only as inputs.
import { match } from 'ts-pattern';
import {
  isNewLeaderAck,
  noteHeard,
  onCommit,
  onDisconnected,
  onInform,
  onPing,
  onPingTimeout,
  onPropose,
  onProposal,
  onProposalAck,
  onSyncTimeout,
} from './broadcast.ts';
import { Ctx } from './ctx.ts';
import { onAckEpoch, onInitTimeout, onLeaderInfo, onLearnerHello } from './discovery.ts';
import { onFinalizeTimeout, onNotification, onNotifyTimeout } from './election.ts';
import { boot, onPersisted } from './persistence.ts';
import { onNewLeader, onNewLeaderAck, onSyncMessage, onUpToDate } from './sync.ts';
import type { Input, Message, ServerState, Sid, StepResult } from './types.ts';

export function step<T>(state: ServerState<T>, input: Input<T>): StepResult<T> {
  if (input.type === 'restart') return boot(state.config, input.durable); // PERSIST-4
  const ctx = new Ctx<T>(state);
  match(input)
    .with({ type: 'receive' }, (i) => receive(ctx, i.from, i.msg))
    .with({ type: 'timeout' }, (i) =>
      match(i.timer)
        .with('notify', () => onNotifyTimeout(ctx))
        .with('finalize', () => onFinalizeTimeout(ctx))
        .with('init', () => onInitTimeout(ctx))
        .with('sync', () => onSyncTimeout(ctx))
        .with('ping', () => onPingTimeout(ctx))
        .exhaustive(),
    )
    .with({ type: 'propose' }, (i) => onPropose(ctx, i.value))
    .with({ type: 'persisted' }, (i) => onPersisted(ctx, i.ticket))
    .with({ type: 'disconnected' }, (i) => onDisconnected(ctx, i.peer))
    .exhaustive();
  return ctx.result();
}

function receive<T>(ctx: Ctx<T>, from: Sid, msg: Message<T>): void {
  if (from === ctx.cfg.sid) return; // BCAST-12: a server never messages itself
  if (msg.type !== 'NOTIFICATION') noteHeard(ctx, from);
  match(msg)
    .with({ type: 'NOTIFICATION' }, (m) => onNotification(ctx, from, m))
    .with({ type: 'FOLLOWERINFO' }, { type: 'OBSERVERINFO' }, (m) => onLearnerHello(ctx, from, m))
    .with({ type: 'LEADERINFO' }, (m) => onLeaderInfo(ctx, from, m.epoch))
    .with({ type: 'ACKEPOCH' }, (m) => onAckEpoch(ctx, from, m.currentEpoch, m.lastZxid))
    .with({ type: 'DIFF' }, { type: 'TRUNC' }, { type: 'SNAP' }, (m) => onSyncMessage(ctx, from, m))
    .with({ type: 'NEWLEADER' }, (m) => onNewLeader(ctx, from, m.epoch))
    .with({ type: 'ACK' }, (m) => {
      if (ctx.state.phase !== 'leading') return; // BCAST-12
      if (isNewLeaderAck(m.zxid)) onNewLeaderAck(ctx, from);
      else onProposalAck(ctx, from, m.zxid);
    })
    .with({ type: 'UPTODATE' }, () => onUpToDate(ctx, from))
    .with({ type: 'PROPOSAL' }, (m) => onProposal(ctx, from, m.txn))
    .with({ type: 'COMMIT' }, (m) => onCommit(ctx, from, m.zxid))
    .with({ type: 'INFORM' }, (m) => onInform(ctx, from, m.txn))
    .with({ type: 'PING' }, () => onPing(ctx, from))
    .exhaustive();
}
