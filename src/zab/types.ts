// The vocabulary of spec/: servers, votes, txns, messages, inputs, effects and state.
// Everything is readonly data; unions are discriminated on `type` (messages, inputs,
// effects, persist ops) or `phase` (server state) and matched exhaustively.
import type { Zxid } from './zxid.ts';

export type Sid = number;

/** A txn of the replicated state machine; `value` is opaque to ZAB (the data tree plugs in). */
export interface Txn<T> {
  readonly zxid: Zxid;
  readonly value: T;
  /** PERSIST-9: this entry is a snapshot of every committed txn up to `zxid` (only ever history[0]). */
  readonly snapshot?: true;
}

/** ELECT-1: a vote names a leader and that leader's (currentEpoch, last zxid). */
export interface Vote {
  readonly leader: Sid;
  readonly zxid: Zxid;
  readonly epoch: number;
}

export type PeerState = 'looking' | 'following' | 'leading' | 'observing';

export interface Timing {
  readonly tickMs: number;
  readonly initLimit: number; // ticks for discovery + sync
  readonly syncLimit: number; // ticks a learner/leader may stay silent in broadcast
  readonly finalizeMs: number; // ELECT-6 finalize window
  readonly notifyMs: number; // ELECT-8 re-send period while looking
}

/** A deliberate deviation from the spec, for the checker's mutants (model/mutants.ts). */
export type Deviation =
  | 'ack-before-persist'
  | 'newleader-ack-before-sync-durable'
  | 'epoch-before-history'
  | 'keep-stale-history'
  | 'vote-by-sid'
  | 'commit-without-quorum'
  | 'skip-trunc'
  | 'snap-keeps-delivery-position'
  | 'snap-drops-snapshot'
  | 'quorum-of-half'
  | 'rebuild-from-delivered'
  | 'establish-on-init-timeout'
  | 'trunc-one-too-far'
  | 'accept-older-epoch-proposal'
  | 'log-proposal-while-looking'
  | 'ignore-election-round'
  | 'lead-without-connected-quorum';

export interface Config {
  readonly sid: Sid;
  readonly voters: readonly Sid[];
  readonly observers: readonly Sid[];
  /** PERSIST-6: compact the log into a snapshot every `snapCount` delivered txns (0: never). */
  readonly snapCount: number;
  readonly timing: Timing;
  readonly deviation?: Deviation;
}

/** What survives a crash (PERSIST-1). `history[0..snapIndex)` is held as a snapshot. */
export interface Durable<T> {
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  readonly history: readonly Txn<T>[];
  readonly snapIndex: number;
}

// ---------------------------------------------------------------- messages

export type Message<T> =
  | { readonly type: 'NOTIFICATION'; readonly vote: Vote; readonly round: number; readonly state: PeerState }
  | { readonly type: 'FOLLOWERINFO'; readonly acceptedEpoch: number }
  | { readonly type: 'OBSERVERINFO'; readonly acceptedEpoch: number }
  | { readonly type: 'LEADERINFO'; readonly epoch: number }
  | { readonly type: 'ACKEPOCH'; readonly currentEpoch: number; readonly lastZxid: Zxid }
  | SyncMessage<T>
  | { readonly type: 'NEWLEADER'; readonly epoch: number }
  | { readonly type: 'ACK'; readonly zxid: Zxid }
  | { readonly type: 'UPTODATE' }
  | { readonly type: 'PROPOSAL'; readonly txn: Txn<T> }
  | { readonly type: 'COMMIT'; readonly zxid: Zxid }
  | { readonly type: 'INFORM'; readonly txn: Txn<T> }
  | { readonly type: 'PING' };

/** SYNC-2..4: how the leader brings a learner's history in line with its own. */
export type SyncMessage<T> =
  | { readonly type: 'DIFF'; readonly txns: readonly Txn<T>[]; readonly committed: Zxid }
  | { readonly type: 'TRUNC'; readonly zxid: Zxid; readonly txns: readonly Txn<T>[]; readonly committed: Zxid }
  | {
      readonly type: 'SNAP';
      readonly txns: readonly Txn<T>[];
      readonly snapIndex: number;
      readonly committed: Zxid;
    };

export type MessageType = Message<unknown>['type'];

// ---------------------------------------------------------------- inputs and effects

export type TimerName = 'notify' | 'finalize' | 'init' | 'sync' | 'ping';

export type Input<T> =
  | { readonly type: 'receive'; readonly from: Sid; readonly msg: Message<T> }
  | { readonly type: 'timeout'; readonly timer: TimerName }
  | { readonly type: 'propose'; readonly value: T }
  | { readonly type: 'persisted'; readonly ticket: number }
  | { readonly type: 'disconnected'; readonly peer: Sid }
  /** PERSIST-9: the snapshot of the history up to `zxid` is written; `base` stands for it. */
  | { readonly type: 'compacted'; readonly zxid: Zxid; readonly base: T }
  | { readonly type: 'restart'; readonly durable: Durable<T> };

export type PersistOp<T> =
  | { readonly kind: 'acceptedEpoch'; readonly epoch: number }
  | { readonly kind: 'currentEpoch'; readonly epoch: number }
  | { readonly kind: 'append'; readonly txns: readonly Txn<T>[] }
  | { readonly kind: 'truncate'; readonly zxid: Zxid }
  | { readonly kind: 'snapshot'; readonly txns: readonly Txn<T>[]; readonly snapIndex: number }
  | { readonly kind: 'compact'; readonly snapIndex: number };

export type Effect<T> =
  | { readonly type: 'send'; readonly to: Sid; readonly msg: Message<T> }
  /** PERSIST-3: held by the executor until persist `ticket` (and so every earlier one) is durable. */
  | { readonly type: 'sendAfterPersist'; readonly ticket: number; readonly to: Sid; readonly msg: Message<T> }
  | { readonly type: 'persist'; readonly ticket: number; readonly op: PersistOp<T> }
  | { readonly type: 'deliver'; readonly txn: Txn<T> }
  /** BCAST-5, PERSIST-11: the state machine becomes the snapshot `base` of every txn up to `zxid`. */
  | { readonly type: 'installSnapshot'; readonly zxid: Zxid; readonly base: T }
  | { readonly type: 'setTimer'; readonly timer: TimerName; readonly ms: number }
  | { readonly type: 'disconnect'; readonly peer: Sid };

// ---------------------------------------------------------------- state

/** A notification as the election remembers it (ELECT-4, ELECT-5). */
export interface Ballot {
  readonly vote: Vote;
  readonly round: number;
  readonly state: PeerState;
}

/** A learner that connected before this server knew it leads (DISC-2 backlog). */
export interface Hello {
  readonly acceptedEpoch: number;
  readonly observer: boolean;
}

export interface Common<T> {
  readonly config: Config;
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  /** The history as issued to disk: durable once every persist ticket so far completes. */
  readonly history: readonly Txn<T>[];
  readonly snapIndex: number;
  /**
   * BCAST-5: the last zxid delivered to the state machine (ZERO_ZXID: nothing since the start).
   * A zxid, not a position: compaction (PERSIST-9) and SNAP (SYNC-4) reshape the history, and
   * the history up to this zxid is the same committed prefix on every server (INV-15).
   */
  readonly deliveredZxid: Zxid;
  readonly round: number;
  readonly vote: Vote;
  readonly ticket: number; // last persist ticket issued
  readonly durable: number; // last persist ticket known complete
}

export interface Looking<T> extends Common<T> {
  readonly phase: 'looking';
  readonly votes: Readonly<Record<Sid, Ballot>>;
  readonly outOfElection: Readonly<Record<Sid, Ballot>>;
  readonly finalizing: boolean;
  readonly backlog: Readonly<Record<Sid, Hello>>;
}

/** discovery: sent FOLLOWERINFO; sync: sent ACKEPOCH; synced: ACKed NEWLEADER; broadcast: got UPTODATE. */
export type LearnerStage = 'discovery' | 'sync' | 'synced' | 'broadcast';

export interface Learning<T> extends Common<T> {
  readonly phase: 'following' | 'observing';
  readonly leader: Sid;
  readonly stage: LearnerStage;
  readonly pendingSync: SyncMessage<T> | null;
  /** Highest zxid the leader has said is committed; delivered up to in broadcast. */
  readonly committed: Zxid;
  readonly heard: boolean;
}

/** How far the leader has brought one learner (leader's view). */
export interface LearnerInfo {
  readonly observer: boolean;
  readonly acceptedEpoch: number;
  /** info: FOLLOWERINFO seen; epoch: ACKEPOCH seen; synced: sync + NEWLEADER sent; acked: NEWLEADER ACKed. */
  readonly stage: 'info' | 'epoch' | 'synced' | 'acked' | 'uptodate';
  /** The learner's last zxid, from its ACKEPOCH. */
  readonly peerLast: Zxid;
  /** Last zxid the sync sent to this learner covers (SYNC-7 counts its NEWLEADER ACK up to here). */
  readonly syncedTo: Zxid;
}

export interface Proposal {
  readonly zxid: Zxid;
  readonly acks: readonly Sid[];
  readonly ticket: number; // the leader's own append: it ACKs itself once this is durable
}

export type LeaderStage = 'discovery' | 'sync' | 'broadcast';

export interface Leading<T> extends Common<T> {
  readonly phase: 'leading';
  readonly stage: LeaderStage;
  /** The epoch this leader proposes (0 until a quorum of FOLLOWERINFO chose it, DISC-3). */
  readonly epoch: number;
  readonly epochTicket: number;
  readonly learners: Readonly<Record<Sid, LearnerInfo>>;
  /** Voters (with self) whose FOLLOWERINFO counted towards choosing the epoch. */
  readonly connecting: readonly Sid[];
  /** Voters (with self) whose ACKEPOCH was accepted. */
  readonly epochAcks: readonly Sid[];
  readonly currentEpochTicket: number;
  /** Voters whose ACK of NEWLEADER arrived (self counts once currentEpochTicket is durable). */
  readonly newLeaderAcks: readonly Sid[];
  /** history[delivered..] in order: proposals not yet committed. */
  readonly proposals: readonly Proposal[];
  readonly heard: readonly Sid[];
}

export type ServerState<T> = Looking<T> | Learning<T> | Leading<T>;
export type Phase = ServerState<unknown>['phase'];

export type StepResult<T> = readonly [ServerState<T>, readonly Effect<T>[]];
