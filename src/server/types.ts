// The server's own protocol (spec/server.md) as data: its state, what arrives (inputs) and what it
// asks the shell to do (effects). Nothing here reads a clock or a socket: time and connections
// arrive as inputs, so the same reducer runs in the shell, in tests and in the model.
import type { List, Map as IMap } from 'immutable';
import type { Acl, Applied, Data, ErrorCode, EventType, Id, MultiReadResult, OpResult, SessionClock, Stat, Tree, TreeConfig, TreeEvent, Txn, TxnOp, WatchLists, WatchTable, WriteOp } from '../tree/index.ts';
import type { Membership, PeerAddress, ReconfigAsk } from './membership.ts';
import type { Sid } from '../zab/types.ts';

/** Which server and which of its requests a txn answers: that server replies to its client. */
export interface Origin {
  readonly server: Sid;
  readonly id: number;
}

/** What ZAB replicates: a data tree txn, or (first in a history) the snapshot the history starts from. */
export type Entry =
  | { readonly kind: 'txn'; readonly txn: Txn; readonly origin?: Origin }
  | { readonly kind: 'base'; readonly tree: Tree };

/** SERVER-1: what a server does for clients right now. */
export type Role = 'leader' | 'learner' | 'readonly' | null;

/** What the server reads of ZAB's state (SERVER-1). */
export interface ZabView {
  readonly phase: 'looking' | 'leading' | 'following' | 'observing';
  readonly stage: string;
  /** A learner's leader; the leader itself when leading. */
  readonly leader: Sid | null;
  readonly nextZxid: number;
  /** The server is shutting down: it serves nothing more. */
  readonly stopping: boolean;
}

/** A client connection, as the reducer knows it: the shell's number for it. */
export type ConnId = number;

export interface ServerConfig {
  readonly sid: Sid;
  readonly tickMs: number;
  /** SERVER-3 */
  readonly minSessionTimeout: number;
  readonly maxSessionTimeout: number;
  /** SERVER-15: ZooKeeper's znode.container.* properties. */
  readonly reaping: { readonly checkIntervalMs: number; readonly maxPerMinute: number; readonly maxNeverUsedIntervalMs: number };
  /** What prepare checks writes against (extended types, quotas: SERVER-16, sizes). */
  readonly tree: TreeConfig;
  /** The members zoo.cfg names (SERVER-14: a reconfig starts from them until /zookeeper/config holds some). */
  readonly members: readonly PeerAddress[];
  /** readonlymode.enabled, in an ensemble: a looking server serves read-only sessions (SERVER-13). */
  readonly readOnlyMode: boolean;
  /** ACL-2: the digest (`user:base64`) whose addAuth also makes a connection super. */
  readonly superDigest?: string;
  /** TREE-22: exists checks READ (ZooKeeper 3.8.4 and later); default true. */
  readonly existsChecksAcl?: boolean;
  /** reconfigEnabled: only picks the refusal of a reconfig this server does not take (SERVER-14); default false. */
  readonly reconfigEnabled?: boolean;
  /** A deliberate deviation, for the checker's mutants (model/replica-cli.ts). */
  readonly deviation?: ServerDeviation;
}

export type ServerDeviation = 'claim-on-connect' | 'reap-from-committed' | 'validate-locally' | 'orphan-connects' | 'read-ahead' | 'event-after-reply' | 'reply-before-commit';

/** A client write (SERVER-10), or a reconfig the leader turns into one (SERVER-14). */
export type Submission = WriteOp | { readonly reconfig: ReconfigAsk; readonly fromConfig: number };

/** Who waits for a txn that began here: a client's request (the shell's `ref` for it), or a connection's createSession. */
export type Waiting = { readonly kind: 'reply'; readonly ref: number } | { readonly kind: 'connect'; readonly conn: ConnId };

/** The leader's own apply of a proposal: reused when the txn commits onto the very tree it was made on. */
export interface Speculated {
  readonly zxid: number;
  readonly before: Tree;
  readonly applied: Applied;
}

export const DEFAULT_REAPING: ServerConfig['reaping'] = { checkIntervalMs: 60_000, maxPerMinute: 10_000, maxNeverUsedIntervalMs: 0 };

/** An established client connection: its session, and whether a request on it has claimed that session (SERVER-6). */
export interface Conn {
  readonly session: bigint;
  readonly timeout: number;
  readonly claimed: boolean;
  /** SERVER-12: its writes and syncs not yet answered, in order, and the reads that came after them. */
  readonly queue: List<Queued>;
}

/** SERVER-12: a read held until the writes before it on its connection are answered. */
export interface HeldRead {
  readonly kind: 'read';
  readonly ref: number;
  readonly ask: ReadAsk;
  readonly auth: readonly Id[];
}
/** `synced`: a sync known to be answerable, waiting for the writes before it (its reply's zxid is read when its turn comes). */
export type Queued = { readonly kind: 'write' | 'synced'; readonly ref: number } | HeldRead;

/** SERVER-12: a request answered from the server's own tree and watch table (the wire's read ops, decoded). */
export type ReadAsk =
  | { readonly op: 'exists' | 'getData' | 'getChildren' | 'getChildren2'; readonly path: string; readonly watch: boolean }
  | { readonly op: 'getACL' | 'getAllChildrenNumber'; readonly path: string }
  | { readonly op: 'getEphemerals'; readonly prefixPath: string }
  | { readonly op: 'whoAmI' | 'ping' | 'reconfig' }
  /** `type`: the wire op of each (4 getData, 8 getChildren; any other is refused). */
  | { readonly op: 'multiRead'; readonly ops: readonly { readonly type: number; readonly path: string; readonly watch: boolean }[] }
  | { readonly op: 'addWatch'; readonly path: string; readonly mode: number }
  | { readonly op: 'checkWatches' | 'removeWatches'; readonly path: string; readonly type: number }
  | { readonly op: 'setWatches'; readonly relativeZxid: number; readonly lists: WatchLists };

/** The answer to a read, for the shell to encode. */
export type ReadResult =
  | { readonly op: 'error'; readonly err: number }
  | { readonly op: 'exists'; readonly stat: Stat }
  | { readonly op: 'getData'; readonly data: Data; readonly stat: Stat }
  | { readonly op: 'getChildren'; readonly children: readonly string[] }
  | { readonly op: 'getChildren2'; readonly children: readonly string[]; readonly stat: Stat }
  | { readonly op: 'getACL'; readonly acl: readonly Acl[]; readonly stat: Stat }
  | { readonly op: 'getAllChildrenNumber'; readonly totalNumber: number }
  | { readonly op: 'getEphemerals'; readonly ephemerals: readonly string[] }
  | { readonly op: 'whoAmI'; readonly clientInfo: readonly { readonly scheme: string; readonly user: string }[] }
  | { readonly op: 'multiRead'; readonly results: readonly MultiReadResult[] }
  | { readonly op: 'ping' | 'addWatch' | 'checkWatches' | 'removeWatches' | 'setWatches' };

/** SERVER-15: when the leader lists candidates next, what it still has to delete, and its budget for this minute. */
export interface Reaper {
  readonly nextCheck: number;
  readonly queue: readonly string[];
  readonly windowStart: number;
  readonly deletedInWindow: number;
}

export interface ServerState {
  readonly config: ServerConfig;
  readonly role: Role;
  /** The leader this server learns from (a learner's), or itself (a leader's). */
  readonly leader: Sid | null;
  readonly conns: IMap<ConnId, Conn>;
  /** Each session's connection on this server. */
  readonly bySession: IMap<bigint, ConnId>;
  /** SERVER-7, SERVER-8: deadlines (the leader: every session; others: their own clients'). */
  readonly clock: SessionClock;
  /** SERVER-6: the leader's owner of each session. */
  readonly owners: IMap<bigint, Sid>;
  /** SERVER-7: a learner's sessions touched since its last report. */
  readonly touched: IMap<bigint, true>;
  readonly reaper: Reaper;
  /** SERVER-4: the next session id this server hands out. */
  readonly nextSession: bigint;
  /** The committed tree: what this server delivered (or installed) up to `lastZxid`. */
  readonly tree: Tree;
  readonly lastZxid: number;
  /** SERVER-10: the leader's tree with every proposal applied (null elsewhere), and the zxid of its next proposal. */
  readonly speculative: Tree | null;
  /** A persistent queue: proposals join at the end, deliveries leave from the front, each O(log n). */
  readonly speculated: List<Speculated>;
  readonly nextZxid: number;
  /** Txns that began here, by their origin id, and who waits for each. */
  readonly waiting: IMap<number, Waiting>;
  readonly nextOrigin: number;
  /** SERVER-14: the members and config version /zookeeper/config says (zoo.cfg's until a reconfig commits). */
  readonly membership: Membership;
  /** SERVER-11: a learner's syncs by id: the reply's ref, and the leader's zxid once SYNCED says it. */
  readonly syncs: IMap<number, { readonly ref: number; readonly zxid: number | null }>;
  /** SERVER-5: a learner's reconnects by id, waiting for the leader to say whether their session lives. */
  readonly validating: IMap<number, { readonly conn: ConnId; readonly session: bigint; readonly timeout: number; readonly answer: { readonly valid: boolean; readonly zxid: number } | null }>;
  /** WATCH-1..10: who watches what here, by connection (not replicated). */
  readonly watches: WatchTable<ConnId>;
  /** WATCH-7: the ids of each connection that watches something. */
  readonly auths: IMap<ConnId, readonly Id[]>;
  /** SERVER-12: the connection of each write or sync waiting for its answer. */
  readonly asked: IMap<number, ConnId>;
}

/** What a client asks for in its ConnectRequest. */
export interface ConnectAsk {
  readonly sessionId: bigint;
  readonly passwd: Uint8Array | null;
  readonly timeOut: number;
  readonly lastZxidSeen: bigint;
  readonly readOnly: boolean | undefined;
}

/** A write as it reaches the leader: from one of its clients (via itself) or forwarded (via a learner). */
export interface WriteAsk {
  readonly session: bigint;
  readonly auth: readonly Id[];
  readonly write: Submission | ErrorCode;
  readonly via: Sid;
  readonly origin?: Origin;
}

export type ServerInput =
  /** SERVER-1: ZAB's state after a step; the reducer derives the role it gives (`nextZxid`: a leader's next proposal). */
  | { readonly type: 'zab'; readonly zab: ZabView; readonly now: number }
  /** SERVER-1: a role given directly (tests). */
  | { readonly type: 'role'; readonly role: Role; readonly leader: Sid | null; readonly now: number; readonly nextZxid: number }
  /** SERVER-2..5: a ConnectRequest on connection `conn`. */
  | { readonly type: 'connect'; readonly conn: ConnId; readonly ask: ConnectAsk; readonly auth: readonly Id[]; readonly now: number }
  /** SERVER-6, SERVER-7: a request (a ping too) on an established connection. */
  | { readonly type: 'request'; readonly conn: ConnId; readonly now: number }
  /** SERVER-10: a write of a client on `conn`; `ref` names the reply the shell holds for it. */
  | { readonly type: 'submit'; readonly conn: ConnId; readonly ref: number; readonly write: Submission; readonly auth: readonly Id[]; readonly now: number }
  /** SERVER-12: a read, watch registration or ping on `conn`; `ref` names its reply slot. */
  | { readonly type: 'read'; readonly conn: ConnId; readonly ref: number; readonly ask: ReadAsk; readonly auth: readonly Id[] }
  /** ACL-2: an addAuth on `conn`, which holds `ids` so far. */
  | { readonly type: 'add-auth'; readonly conn: ConnId; readonly scheme: string; readonly auth: string; readonly ids: readonly Id[] }
  /** WATCH-7: the connection's ids changed (a SASL exchange succeeded). */
  | { readonly type: 'auth'; readonly conn: ConnId; readonly auth: readonly Id[] }
  /** SERVER-11: a client's sync; `ref` names its reply slot. */
  | { readonly type: 'sync'; readonly conn: ConnId; readonly ref: number }
  | { readonly type: 'closed'; readonly conn: ConnId }
  /** SERVER-7, SERVER-8, SERVER-15: the half-tick timer. */
  | { readonly type: 'tick'; readonly now: number }
  /** A learner's message at the leader: SERVER-7 (TOUCH), SERVER-6 (REVALIDATE), SERVER-5 (VALIDATE), SERVER-10 (REQUEST, RECONFIG); the leader's answers (SYNCED, VALIDATED). */
  | { readonly type: 'peer'; readonly from: Sid; readonly msg: LearnerMessage | LeaderMessage; readonly now: number }
  /** BCAST-5: ZAB delivered this txn here. */
  | { readonly type: 'delivered'; readonly txn: Txn; readonly origin?: Origin; readonly now: number }
  /** PERSIST-11: the committed tree is now a snapshot's (a SNAP, or the start's recovery). */
  | { readonly type: 'installed'; readonly tree: Tree; readonly zxid: number };

/** What a leader's server answers a learner's (SERVER-11). */
export type LeaderMessage =
  | { readonly type: 'SYNCED'; readonly id: number; readonly zxid: number }
  /** SERVER-5: whether the session of the learner's reconnect `id` lives. */
  | { readonly type: 'VALIDATED'; readonly id: number; readonly valid: boolean; readonly zxid: number };

/** What a learner's server says to its leader's (the shell's peer messages). */
export type LearnerMessage =
  | { readonly type: 'TOUCH'; readonly sessions: readonly bigint[] }
  | { readonly type: 'REVALIDATE'; readonly session: bigint }
  /** SERVER-5: a reconnect at the learner: does the session live? (claims nothing) */
  | { readonly type: 'VALIDATE'; readonly id: number; readonly session: bigint }
  | { readonly type: 'REQUEST'; readonly origin: Origin; readonly session: bigint; readonly auth: readonly Id[]; readonly write: WriteOp }
  | ({ readonly type: 'RECONFIG'; readonly origin: Origin; readonly session: bigint; readonly auth: readonly Id[]; readonly fromConfig: number } & ReconfigAsk)
  | { readonly type: 'SYNC'; readonly id: number };

export type ServerEffect =
  /** SERVER-2: close without a response. */
  | { readonly type: 'refuse'; readonly conn: ConnId; readonly why: string; readonly fields?: Readonly<Record<string, unknown>> }
  /** SERVER-5: a ConnectResponse with session 0 and timeout 0, then close. */
  | { readonly type: 'reject'; readonly conn: ConnId }
  /** SERVER-4, SERVER-5: the ConnectResponse for `session`; the connection is established. */
  | { readonly type: 'accept'; readonly conn: ConnId; readonly session: bigint; readonly timeout: number }
  /** SERVER-5, SERVER-9: close an established connection (a newer one took its session, or its session closed). */
  | { readonly type: 'close'; readonly conn: ConnId }
  /** SERVER-6, SERVER-7, SERVER-10, SERVER-11: to the leader, or (SYNCED) to a learner. */
  | { readonly type: 'send'; readonly to: Sid; readonly msg: LearnerMessage | LeaderMessage }
  /** SERVER-11: sync `ref` is answered, with this server's last zxid; SERVER-13: a read-only server's answer to a write or sync. */
  | { readonly type: 'synced'; readonly ref: number; readonly zxid: number }
  | { readonly type: 'not-read-only'; readonly ref: number; readonly zxid: number; readonly close: boolean }
  /** BCAST-1: hand ZAB this proposal; it becomes txn `zxid` of the leader's history. */
  | { readonly type: 'zab-propose'; readonly zxid: number; readonly entry: Extract<Entry, { kind: 'txn' }> }
  /** A delivered txn changed the committed tree: its events fire watches, before any reply below. */
  | { readonly type: 'applied'; readonly zxid: number; readonly session: bigint; readonly op: TxnOp; readonly events: readonly TreeEvent[] }
  /** SERVER-10: the reply to request `ref` (`close`: its connection closes after it, SERVER-9). */
  | { readonly type: 'reply'; readonly ref: number; readonly zxid: number; readonly result: OpResult; readonly data?: Data; readonly close: boolean }
  /** SERVER-12: the answer to read `ref`, as of this server's last zxid. */
  | { readonly type: 'read-reply'; readonly ref: number; readonly zxid: number; readonly result: ReadResult }
  /** WATCH-2: a watch event for `conn`, before any reply that follows it (SERVER-12). */
  | { readonly type: 'notify'; readonly conn: ConnId; readonly event: EventType; readonly path: string }
  /** ACL-2: an addAuth's answer (at once, outside the request order): the connection's ids now, or the error it closes with. */
  | { readonly type: 'authed'; readonly conn: ConnId; readonly ids: readonly Id[] }
  | { readonly type: 'auth-failed'; readonly conn: ConnId; readonly err: ErrorCode }
  /** SERVER-6: request `ref` was stale (SessionMoved): no answer, its connection closes. */
  | { readonly type: 'moved'; readonly ref: number }
  /** SERVER-10: request `ref` cannot be taken here (not serving): its connection closes. */
  | { readonly type: 'dropped'; readonly ref: number }
  /** SERVER-14: a committed reconfig (or a snapshot holding one) changed the members; links to those who `left` go. */
  | { readonly type: 'members'; readonly membership: Membership; readonly left: readonly Sid[] }
  /** TREE-27: after `zxid` this tree is not the leader's. */
  | { readonly type: 'diverged'; readonly zxid: number; readonly expected: number; readonly actual: number }
  | { readonly type: 'log'; readonly level?: 'info' | 'warn'; readonly msg: string; readonly fields: Readonly<Record<string, unknown>> };

/** The reducer's own intermediate effect: a write the leader accepted, to prepare and propose. */
export type Internal = { readonly type: 'propose'; readonly ask: WriteAsk };

export interface Stepped {
  readonly state: ServerState;
  readonly effects: readonly (ServerEffect | Internal)[];
}
