// The server's own protocol (spec/server.md) as data: its state, what arrives (inputs) and what it
// asks the shell to do (effects). Nothing here reads a clock or a socket: time and connections
// arrive as inputs, so the same reducer runs in the shell, in tests and in the model.
import type { Map as IMap } from 'immutable';
import type { ErrorCode, Id, SessionClock, Tree, Txn, WriteOp } from '../tree/index.ts';
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
}

export const DEFAULT_REAPING: ServerConfig['reaping'] = { checkIntervalMs: 60_000, maxPerMinute: 10_000, maxNeverUsedIntervalMs: 0 };

/** An established client connection: its session, and whether a request on it has claimed that session (SERVER-6). */
export interface Conn {
  readonly session: bigint;
  readonly timeout: number;
  readonly claimed: boolean;
}

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
  readonly write: WriteOp | ErrorCode;
  readonly via: Sid;
  readonly origin?: Origin;
}

export type ServerInput =
  /** SERVER-1: ZAB's state gave this server a role (or took it); `tree` is its committed tree. */
  | { readonly type: 'role'; readonly role: Role; readonly leader: Sid | null; readonly now: number; readonly tree: Tree }
  /** SERVER-2..5: a ConnectRequest on connection `conn`. */
  | { readonly type: 'connect'; readonly conn: ConnId; readonly ask: ConnectAsk; readonly now: number; readonly tree: Tree; readonly lastZxid: number }
  /** SERVER-4: a session's createSession was delivered here; `conn` waits for it (if this server asked). */
  | { readonly type: 'session-created'; readonly session: bigint; readonly timeout: number; readonly conn?: ConnId; readonly now: number }
  /** SERVER-9: a closeSession was delivered here. */
  | { readonly type: 'session-closed'; readonly session: bigint }
  /** SERVER-6, SERVER-7: a request (a ping too) on an established connection. */
  | { readonly type: 'request'; readonly conn: ConnId; readonly now: number }
  | { readonly type: 'closed'; readonly conn: ConnId }
  /** SERVER-7, SERVER-8, SERVER-15: the half-tick timer. */
  | { readonly type: 'tick'; readonly now: number; readonly tree: Tree }
  /** SERVER-7 at the leader: a learner's TOUCH. */
  | { readonly type: 'touched'; readonly sessions: readonly bigint[]; readonly now: number; readonly tree: Tree }
  /** SERVER-6 at the leader: a learner's claim (REVALIDATE). */
  | { readonly type: 'claimed'; readonly from: Sid; readonly session: bigint; readonly tree: Tree }
  /** SERVER-6, SERVER-10: a write at the leader. */
  | { readonly type: 'write'; readonly ask: WriteAsk };

export type ServerEffect =
  /** SERVER-2: close without a response. */
  | { readonly type: 'refuse'; readonly conn: ConnId; readonly why: string; readonly fields?: Readonly<Record<string, unknown>> }
  /** SERVER-5: a ConnectResponse with session 0 and timeout 0, then close. */
  | { readonly type: 'reject'; readonly conn: ConnId }
  /** SERVER-4, SERVER-5: the ConnectResponse for `session`; the connection is established. */
  | { readonly type: 'accept'; readonly conn: ConnId; readonly session: bigint; readonly timeout: number }
  /** SERVER-4: propose the createSession of `session` (its response waits for the delivery). */
  | { readonly type: 'create-session'; readonly conn: ConnId; readonly session: bigint; readonly timeout: number }
  /** SERVER-5, SERVER-9: close an established connection (a newer one took its session, or its session closed). */
  | { readonly type: 'close'; readonly conn: ConnId }
  /** SERVER-6, SERVER-7: to the leader. */
  | { readonly type: 'send'; readonly to: Sid; readonly msg: { readonly type: 'TOUCH'; readonly sessions: readonly bigint[] } | { readonly type: 'REVALIDATE'; readonly session: bigint } }
  /** SERVER-6, SERVER-8, SERVER-10, SERVER-15: the leader prepares this write and proposes it (`write` a code: refused). */
  | { readonly type: 'propose'; readonly ask: WriteAsk }
  | { readonly type: 'log'; readonly msg: string; readonly fields: Readonly<Record<string, unknown>> };

export interface Stepped {
  readonly state: ServerState;
  readonly effects: readonly ServerEffect[];
}
