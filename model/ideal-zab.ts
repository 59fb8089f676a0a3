// The ideal ZAB (spec/invariants.md, INV-23): ZAB as the server's reducer sees it — a role per
// server, one committed sequence that every server delivers a prefix of, the leader's proposals
// after it — as a small state machine. The replica checker exhausts whole replicas over it (the
// message-level ZAB world is too large to exhaust with clients and a crash), and the replicas
// over the real ZAB reducers check, step by step, that what ZAB does is a step of this machine
// (`refines` in model/replicas.ts): the ideal is an abstraction of ZAB that is itself checked.
// It describes runs without ZAB's timers (no sync or init timeout drops a role while a quorum is
// up): the replica checker's bounds with `timeouts` 0, where INV-23 is judged.
import type { Entry, ZabView } from '../src/server/index.ts';
import type { Sid } from '../src/zab/index.ts';
import { makeZxid } from '../src/zab/zxid.ts';

export type IdealRole = { readonly kind: 'leader' | 'learner'; readonly leader: Sid; readonly epoch: number } | null;

export interface IdealServer {
  readonly up: boolean;
  readonly role: IdealRole;
  /** How many entries of the log this server's state machine has delivered since its start. */
  readonly delivered: number;
}

export interface LogEntry {
  readonly zxid: number;
  readonly value: Entry;
}

export interface IdealZab {
  readonly sids: readonly Sid[];
  /** The epoch of the latest leader. */
  readonly epoch: number;
  /** The established leader of `epoch`; null once it crashed or stepped down. */
  readonly leader: Sid | null;
  /** The committed sequence (`log[0, committed)`), then the leader's proposals not yet committed. */
  readonly log: readonly LogEntry[];
  readonly committed: number;
  /** Proposals of `epoch` so far (the counter of the next zxid). */
  readonly proposed: number;
  readonly servers: Readonly<Record<Sid, IdealServer>>;
  /** Crashes and elections so far: without timers, only a crash can end a leader, so each election needs one. */
  readonly crashes: number;
  readonly elections: number;
  /** Crashes when the leader of `epoch` was elected: it can lose its quorum's connections only by a crash since. */
  readonly crashesAtElection: number;
}

export type IdealAction =
  /** The leader commits its next proposal and delivers it. */
  | { readonly type: 'commit' }
  /** A learner delivers the next committed entry. */
  | { readonly type: 'deliver'; readonly sid: Sid }
  /** A quorum of servers without a role elects `sid`; the new epoch keeps `keep` of the old leader's uncommitted proposals, all now committed, and the leader delivers its whole log. */
  | { readonly type: 'elect'; readonly sid: Sid; readonly keep: number; readonly epoch: number }
  /** A server without a role follows the established leader. */
  | { readonly type: 'join'; readonly sid: Sid }
  /** A learner whose leader is gone (crashed, stepped down, or of an older epoch) loses its role. */
  | { readonly type: 'notice'; readonly sid: Sid }
  /**
   * The leader loses its role: a server crashed since its election (without timers nothing else
   * breaks the connections it established with), and fewer than a quorum are it and its live
   * learners (whatever else it counts, they are among them).
   */
  | { readonly type: 'step-down' }
  | { readonly type: 'crash'; readonly sid: Sid }
  | { readonly type: 'restart'; readonly sid: Sid };

const quorum = (z: IdealZab): number => Math.floor(z.sids.length / 2) + 1;

/** An established ensemble of epoch `epoch` led by `leader`, nothing proposed. */
export function idealStart(sids: readonly Sid[], leader: Sid, epoch: number): IdealZab {
  const servers: Record<Sid, IdealServer> = {};
  for (const sid of sids) servers[sid] = { up: true, delivered: 0, role: { kind: sid === leader ? 'leader' : 'learner', leader, epoch } };
  return { sids, epoch, leader, log: [], committed: 0, proposed: 0, servers, crashes: 0, elections: 0, crashesAtElection: 0 };
}

/** Why `a` is not a step of the ideal ZAB from `z`, or null if it is. */
export function idealRefuses(z: IdealZab, a: IdealAction): string | null {
  const s = 'sid' in a ? z.servers[a.sid] : undefined;
  switch (a.type) {
    case 'commit': {
      const l = z.leader === null ? undefined : z.servers[z.leader];
      if (!l?.up) return 'no live leader commits';
      if (z.committed >= z.log.length) return 'nothing to commit';
      return l.delivered === z.committed ? null : 'the leader has not delivered what is committed';
    }
    case 'deliver':
      if (!s?.up || s.role?.kind !== 'learner') return `server ${a.sid} is not a live learner`;
      return s.delivered < z.committed ? null : `server ${a.sid} has delivered everything committed`;
    case 'elect': {
      if (z.leader !== null) return `server ${z.leader} still leads epoch ${z.epoch}`;
      if (z.elections >= z.crashes) return `${z.elections} elections after ${z.crashes} crashes`;
      if (!s?.up || s.role !== null) return `server ${a.sid} is not a live server without a role`;
      if (a.epoch <= z.epoch) return `epoch ${a.epoch} is not after ${z.epoch}`;
      if (a.keep < 0 || a.keep > z.log.length - z.committed) return `keeps ${a.keep} of ${z.log.length - z.committed} uncommitted proposals`;
      const free = z.sids.filter((x) => z.servers[x]!.up && z.servers[x]!.role === null).length;
      return free >= quorum(z) ? null : `only ${free} live servers without a role`;
    }
    case 'join':
      if (z.leader === null || !z.servers[z.leader]!.up) return 'no live leader to join';
      if (!s?.up || s.role !== null || a.sid === z.leader) return `server ${a.sid} is not a live server without a role`;
      return null;
    case 'notice': {
      const r = s?.role;
      if (!s?.up || r?.kind !== 'learner') return `server ${a.sid} is not a live learner`;
      const current = r.leader === z.leader && r.epoch === z.epoch && z.servers[r.leader]!.up;
      return current ? `server ${a.sid}'s leader ${r.leader} still leads epoch ${r.epoch}` : null;
    }
    case 'step-down':
      if (z.leader === null || !z.servers[z.leader]!.up) return 'no live leader';
      if (z.crashes === z.crashesAtElection) return `no server crashed since leader ${z.leader} was elected`;
      const joined = 1 + z.sids.filter((x) => z.servers[x]!.up && z.servers[x]!.role?.kind === 'learner' && z.servers[x]!.role!.leader === z.leader && z.servers[x]!.role!.epoch === z.epoch).length;
      return joined < quorum(z) ? null : `leader ${z.leader} and its learners are a quorum`;
    case 'crash':
      return s?.up ? null : `server ${a.sid} is down`;
    case 'restart':
      return s && !s.up ? null : `server ${a.sid} is up`;
  }
}

/** Every step from `z` (elections at the next epoch); crashes while the budget allows. */
export function idealActions(z: IdealZab, crashes: boolean): IdealAction[] {
  const candidates: IdealAction[] = [{ type: 'commit' }, { type: 'step-down' }];
  for (const sid of z.sids) {
    candidates.push({ type: 'deliver', sid }, { type: 'join', sid }, { type: 'notice', sid }, { type: 'restart', sid });
    if (crashes) candidates.push({ type: 'crash', sid });
    for (let keep = 0; keep <= z.log.length - z.committed; keep++) candidates.push({ type: 'elect', sid, keep, epoch: z.epoch + 1 });
  }
  return candidates.filter((a) => idealRefuses(z, a) === null);
}

function setServer(z: IdealZab, sid: Sid, fields: Partial<IdealServer>): IdealZab {
  return { ...z, servers: { ...z.servers, [sid]: { ...z.servers[sid]!, ...fields } } };
}

/** One step (the caller checked `idealRefuses`); `deliver` hears each delivery, in order. */
export function idealApply(z: IdealZab, a: IdealAction, deliver: (sid: Sid, e: LogEntry) => void = () => {}): IdealZab {
  switch (a.type) {
    case 'commit': {
      const sid = z.leader!;
      deliver(sid, z.log[z.committed]!);
      return setServer({ ...z, committed: z.committed + 1 }, sid, { delivered: z.committed + 1 });
    }
    case 'deliver': {
      const s = z.servers[a.sid]!;
      deliver(a.sid, z.log[s.delivered]!);
      return setServer(z, a.sid, { delivered: s.delivered + 1 });
    }
    case 'elect': {
      // The new leader's history is the committed sequence and some of the old proposals; once a
      // quorum has it, all of it is committed, and the leader delivers it as it establishes.
      const log = z.log.slice(0, z.committed + a.keep);
      for (let i = z.servers[a.sid]!.delivered; i < log.length; i++) deliver(a.sid, log[i]!);
      const next = { ...z, epoch: a.epoch, leader: a.sid, log, committed: log.length, proposed: 0, elections: z.elections + 1, crashesAtElection: z.crashes };
      return setServer(next, a.sid, { role: { kind: 'leader', leader: a.sid, epoch: a.epoch }, delivered: log.length });
    }
    case 'join':
      return setServer(z, a.sid, { role: { kind: 'learner', leader: z.leader!, epoch: z.epoch } });
    case 'notice':
      return setServer(z, a.sid, { role: null });
    case 'step-down':
      return setServer({ ...z, leader: null }, z.leader!, { role: null });
    case 'crash':
      return setServer({ ...z, crashes: z.crashes + 1, leader: z.leader === a.sid ? null : z.leader }, a.sid, { up: false, role: null, delivered: 0 });
    case 'restart':
      return setServer(z, a.sid, { up: true, role: null, delivered: 0 });
  }
}

/** The leader's next proposal takes the next zxid of its epoch; null if `sid` is not a live leader. */
export function idealPropose(z: IdealZab, sid: Sid, value: Entry): { readonly zab: IdealZab; readonly zxid: number } | null {
  if (z.leader !== sid || !z.servers[sid]!.up) return null;
  const zxid = makeZxid(z.epoch, z.proposed + 1);
  return { zab: { ...z, log: [...z.log, { zxid, value }], proposed: z.proposed + 1 }, zxid };
}

/** What the server's reducer reads (SERVER-1): a role, its leader, and a leader's next zxid. */
export function idealView(z: IdealZab, sid: Sid): ZabView {
  const r = z.servers[sid]!.role;
  if (r === null) return { phase: 'looking', stage: '', leader: null, nextZxid: 0, stopping: false };
  const leading = r.kind === 'leader';
  return { phase: leading ? 'leading' : 'following', stage: 'broadcast', leader: r.leader, nextZxid: leading ? makeZxid(z.epoch, z.proposed + 1) : 0, stopping: false };
}

/** The zxid of the last entry `sid` delivered (0: none since its start). */
export function idealDeliveredZxid(z: IdealZab, sid: Sid): number {
  const n = z.servers[sid]!.delivered;
  return n === 0 ? 0 : z.log[n - 1]!.zxid;
}
