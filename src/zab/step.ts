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
import { boot, onCompacted, onPersisted } from './persistence.ts';
import { onNewLeader, onNewLeaderAck, onSyncMessage, onUpToDate } from './sync.ts';
import type { Input, Message, ServerState, Sid, StepResult } from './types.ts';

/**
 * `owned`: the caller discards `state` once it has the result (as the shell does), so the history
 * may grow in place (Ctx.appendHistory). Results are the same either way. `rules`, when given, is
 * told the spec rules whose branches this step took.
 */
export function step<T>(state: ServerState<T>, input: Input<T>, owned = false, rules?: string[]): StepResult<T> {
  if (input.type === 'restart') return boot(state.config, input.durable, rules); // PERSIST-4
  const ctx = new Ctx<T>(state, owned, rules);
  switch (input.type) {
    case 'receive':
      receive(ctx, input.from, input.msg);
      break;
    case 'timeout':
      match(input.timer)
        .with('notify', () => onNotifyTimeout(ctx))
        .with('finalize', () => onFinalizeTimeout(ctx))
        .with('init', () => onInitTimeout(ctx))
        .with('sync', () => onSyncTimeout(ctx))
        .with('ping', () => onPingTimeout(ctx))
        .exhaustive();
      break;
    case 'propose':
      onPropose(ctx, input.value);
      break;
    case 'persisted':
      onPersisted(ctx, input.ticket);
      break;
    case 'disconnected':
      onDisconnected(ctx, input.peer);
      break;
    case 'compacted':
      onCompacted(ctx, input.zxid, input.base);
      break;
    default:
      assertNever(input);
  }
  return ctx.result();
}

/** Messages are the hot path of the checker: a plain switch, exhaustive by assertNever. */
function receive<T>(ctx: Ctx<T>, from: Sid, msg: Message<T>): void {
  if (from === ctx.cfg.sid) return ctx.rule('BCAST-12'); // BCAST-12: a server never messages itself
  if (msg.type !== 'NOTIFICATION') noteHeard(ctx, from);
  switch (msg.type) {
    case 'NOTIFICATION':
      return onNotification(ctx, from, msg);
    case 'FOLLOWERINFO':
    case 'OBSERVERINFO':
      return onLearnerHello(ctx, from, msg);
    case 'LEADERINFO':
      return onLeaderInfo(ctx, from, msg.epoch);
    case 'ACKEPOCH':
      return onAckEpoch(ctx, from, msg.currentEpoch, msg.lastZxid);
    case 'DIFF':
    case 'TRUNC':
    case 'SNAP':
      return onSyncMessage(ctx, from, msg);
    case 'NEWLEADER':
      return onNewLeader(ctx, from, msg.epoch);
    case 'ACK':
      if (ctx.state.phase !== 'leading') return ctx.rule('BCAST-12'); // BCAST-12
      if (isNewLeaderAck(msg.zxid)) return onNewLeaderAck(ctx, from);
      return onProposalAck(ctx, from, msg.zxid);
    case 'UPTODATE':
      return onUpToDate(ctx, from);
    case 'PROPOSAL':
      return onProposal(ctx, from, msg.txn);
    case 'COMMIT':
      return onCommit(ctx, from, msg.zxid);
    case 'INFORM':
      return onInform(ctx, from, msg.txn);
    case 'PING':
      return onPing(ctx, from);
    default:
      return assertNever(msg);
  }
}

export function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}
