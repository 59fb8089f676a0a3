// Whole replicas in the model: each server is the ZAB reducers (in the world of world.ts) plus the
// server's own reducer (src/server) with the real data tree, and abstract clients open sessions,
// create nodes, move between servers, leave ConnectRequests behind and close or let their
// sessions expire. The checker explores these worlds with the client-level invariants
// (model/client-invariants.ts) on top of the protocol's.
import { Map as IMap } from 'immutable';
import { sessionPassword, type WriteOp } from '../src/tree/index.ts';
import { DEFAULT_REAPING, initialServer, roleOf, stepServer, zabView, type ConnId, type Entry, type LeaderMessage, type LearnerMessage, type ReadAsk, type ServerDeviation, type ServerEffect, type ServerInput, type ServerState } from '../src/server/index.ts';
import type { Leading, ServerState as ZabState, Sid } from '../src/zab/index.ts';
import { idealApply, idealActions, idealDeliveredZxid, idealPropose, idealRefuses, idealStart, idealView, type IdealAction, type IdealRole, type IdealZab, type LogEntry } from './ideal-zab.ts';
import { settle } from './liveness.ts';
import { apply, createWorld, enabled, type Action, type World } from './world.ts';

export const TICK_MS = 100;
export const SESSION_MS = 1000;
const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

const node = (path: string, flags: number): WriteOp => ({ op: flags === 4 ? 'createContainer' : 'create', path, data: new Uint8Array(0), acl: OPEN, flags });
const exists = (path: string, watch: boolean): ReadAsk => ({ op: 'exists', path, watch });

/** A step of a client's script: a write; a read (SERVER-12); or a write with a read sent right behind it, before its reply. */
export type ScriptStep = WriteOp | { readonly read: ReadAsk } | { readonly write: WriteOp; readonly andRead: ReadAsk };

/**
 * What each client does, in order, once it has a session; it may then close its session.
 * `plain`: a persistent node and an ephemeral; `reaping`: a container and a child in it (SERVER-15), and an ephemeral;
 * `ordered` (SERVER-12, INV-26): each client watches /e2, then writes with a read of what it wrote right behind.
 */
export const SCRIPTS = {
  plain: [[node('/p1', 0)], [node('/e2', 1)]],
  reaping: [[node('/c', 4), node('/c/p1', 0)], [node('/e2', 1)]],
  ordered: [
    [{ read: exists('/e2', true) }, { write: node('/p1', 0), andRead: exists('/p1', false) }],
    [{ read: exists('/e2', true) }, { write: node('/e2', 1), andRead: exists('/e2', false) }],
  ],
} as const satisfies Readonly<Record<string, readonly (readonly ScriptStep[])[]>>;

const writeOf = (step: ScriptStep): WriteOp | null => ('read' in step ? null : 'write' in step ? step.write : step);

/** Whether a script reads: a learner's delivery then no longer commutes with its clients' requests (model/replica-por.ts). */
export const readsIn = (scripts: keyof typeof SCRIPTS): boolean => SCRIPTS[scripts].some((c) => c.some((step: ScriptStep) => 'read' in step || 'andRead' in step));

export interface Client {
  readonly id: number;
  readonly session: bigint | null;
  /** The connection it uses (at server `at`), established or waiting for its ConnectResponse. */
  readonly conn: ConnId | null;
  readonly at: Sid | null;
  readonly established: boolean;
  /** The next op of its script (script length: close next). */
  readonly next: number;
  /** The request it waits for (its ref), if any, and whether it is its close. */
  readonly waiting: number | null;
  /** A read sent right behind its write (SERVER-12), not yet answered. */
  readonly reading: number | null;
  /** The highest zxid a reply on this connection carried: a watch event for an older txn comes too late (INV-26). */
  readonly seen: number;
  readonly closing: boolean;
  /** Its session is gone (closed, or refused on reconnect as expired). */
  readonly ended: boolean;
  /** A request has been made on this connection (the first one claims the session, SERVER-6). */
  readonly claimed: boolean;
  /**
   * When it claimed, a claim or write of its session from another server was still on its way to
   * the leader: which came first is a race no server can see (ZOOKEEPER-710), so INV-22 does not
   * judge this connection. A connect alone never makes one.
   */
  readonly raced: boolean;
  /** Its connections and requests so far: each gets an id of its own (`id` × 1,000,000 + count), as unique as the shell's, and the same whichever client went first. */
  readonly ids: number;
}

/** A write a client saw succeed. */
export interface Acked {
  readonly path: string;
  readonly zxid: number;
  readonly session: bigint;
  /** An ephemeral lives as long as its session; a container until the leader reaps it (SERVER-15). */
  readonly kind: 'persistent' | 'ephemeral' | 'container';
}

export interface Replicas {
  /** The ZAB reducers' world; null when the replicas run over the ideal ZAB. */
  readonly zab: World<Entry> | null;
  /**
   * The ideal ZAB (model/ideal-zab.ts): the replicas' ZAB itself, or, over the real reducers, the
   * ideal run each of their steps maps to (INV-23).
   */
  readonly ideal: IdealZab;
  /** Each server's reducer; null while crashed. */
  readonly servers: Readonly<Record<Sid, ServerState | null>>;
  readonly clients: readonly Client[];
  /** Learner → leader messages of the servers' own (REQUEST, REVALIDATE, TOUCH), FIFO per pair. */
  readonly forward: Readonly<Record<string, readonly (LearnerMessage | LeaderMessage)[]>>;
  /** ConnectRequests a server took into its buffer and has not read yet; their clients have gone. */
  readonly stale: readonly { readonly server: Sid; readonly conn: ConnId; readonly session: bigint }[];
  readonly now: number;
  readonly acked: readonly Acked[];
  readonly used: { readonly crashes: number; readonly times: number; readonly moves: number; readonly timeouts: number };
  readonly violations: readonly { readonly id: string; readonly detail: string }[];
}

export interface ReplicaBounds {
  readonly servers: number;
  readonly clients: number;
  readonly crashes: number;
  /** Jumps of time past a session timeout (SERVER-7, -8, -15). */
  readonly times: number;
  /** Firings of ZAB's notify, init and sync timers (NET-5). */
  readonly timeouts: number;
  /** A client abandons its connection (a ConnectRequest left behind at a server) and reconnects elsewhere. */
  readonly moves: number;
  readonly maxDepth: number;
  readonly scripts: keyof typeof SCRIPTS;
  /** false: clients keep their sessions after their script (no closeSession); default true. */
  readonly closes?: boolean;
  readonly deviation?: ServerDeviation;
  /** `ideal`: the replicas run over the ideal ZAB instead of the ZAB reducers (INV-23 checks that they refine it). */
  readonly zab?: 'real' | 'ideal';
  /** Over the ideal ZAB, once the crash budget is spent, breadth-first search takes alone the steps that commute with everything else (a learner's delivery, a restart, a join: model/replica-por.ts). */
  readonly por?: boolean;
  /** ZAB mutant, passed to the reducers. */
  readonly zabDeviation?: World<Entry>['slots'][number]['config']['deviation'];
}

export const DEFAULT_REPLICA_BOUNDS: ReplicaBounds = { servers: 3, clients: 2, crashes: 1, times: 1, moves: 1, timeouts: 0, maxDepth: 200, scripts: 'reaping' };

export type ReplicaAction =
  | { readonly type: 'zab'; readonly action: Action<Entry> }
  | { readonly type: 'ideal'; readonly action: IdealAction }
  | { readonly type: 'connect'; readonly client: number; readonly server: Sid }
  | { readonly type: 'write'; readonly client: number }
  | { readonly type: 'close'; readonly client: number }
  /** The client gives up on its connection; a ConnectRequest of its session stays buffered at `server`. */
  | { readonly type: 'move'; readonly client: number; readonly server: Sid }
  /** A server reads a buffered ConnectRequest, then finds the socket closed. */
  | { readonly type: 'late-connect'; readonly index: number }
  | { readonly type: 'forward'; readonly from: Sid; readonly to: Sid }
  | { readonly type: 'time' };

function serverConfig(sid: Sid, b: ReplicaBounds) {
  return {
    sid,
    tickMs: TICK_MS,
    minSessionTimeout: SESSION_MS,
    maxSessionTimeout: SESSION_MS,
    // Containers that never had a child are reaped after a timeout too, so one time jump can reap /c.
    reaping: { ...DEFAULT_REAPING, checkIntervalMs: SESSION_MS, maxNeverUsedIntervalMs: SESSION_MS },
    tree: { extendedTypes: true, enforceQuota: false, maxDataBytes: 0xfffff },
    members: [],
    readOnlyMode: false,
    ...(b.deviation ? { deviation: b.deviation } : {}),
  } as const;
}

/** A converged ensemble (every server in broadcast with one leader), its reducers serving, clients without sessions. */
export function initialReplicas(b: ReplicaBounds): Replicas {
  const voters = Array.from({ length: b.servers }, (_, i) => i + 1);
  let zab = createWorld<Entry>({ voters, syncDisk: true, ...(b.zabDeviation ? { deviation: b.zabDeviation } : {}) });
  for (const sid of voters) zab = apply(zab, { type: 'restart', sid });
  zab = settle(zab as unknown as World<number>).world as unknown as World<Entry>; // no txn yet: the value type does not matter
  const leader = voters.find((sid) => zab.slots[sid]!.server?.phase === 'leading')!;
  const ideal = idealStart(voters, leader, (zab.slots[leader]!.server as Leading<Entry>).epoch);
  const servers: Record<Sid, ServerState | null> = {};
  for (const sid of voters) servers[sid] = initialServer(serverConfig(sid, b), 0);
  const forward: Record<string, readonly (LearnerMessage | LeaderMessage)[]> = {};
  for (const a of voters) for (const c of voters) if (a !== c) forward[`${a}>${c}`] = [];
  const clients = Array.from({ length: b.clients }, (_, i): Client => ({ id: i + 1, session: null, conn: null, at: null, established: false, next: 0, waiting: null, reading: null, seen: 0, ended: false, claimed: false, raced: false, closing: false, ids: 0 }));
  const w: Replicas = { zab: b.zab === 'ideal' ? null : zab, ideal, servers, clients, forward, stale: [], now: 0, acked: [], used: { crashes: 0, times: 0, moves: 0, timeouts: 0 }, violations: [] };
  return new Run(w, b).roles().done();
}

export function replicaActions(w: Replicas, b: ReplicaBounds): ReplicaAction[] {
  const sids = w.ideal.sids;
  const out: ReplicaAction[] = [];
  if (w.zab) {
    const zab = w.zab;
    // NET-5: finalize fires freely; notify, init and sync within the budget; ping never.
    const timerOk = (a: Action<Entry>) => a.type !== 'timeout' || a.timer === 'finalize' || (a.timer !== 'ping' && w.used.timeouts < b.timeouts);
    out.push(...enabled(zab).filter(timerOk).map((action): ReplicaAction => ({ type: 'zab', action })));
    for (const sid of sids) {
      const up = zab.slots[sid]!.server !== null;
      if (up && w.used.crashes < b.crashes) out.push({ type: 'zab', action: { type: 'crash', sid } });
      if (!up) out.push({ type: 'zab', action: { type: 'restart', sid } });
    }
  } else {
    out.push(...idealActions(w.ideal, w.used.crashes < b.crashes).map((action): ReplicaAction => ({ type: 'ideal', action })));
  }
  for (const [k, q] of Object.entries(w.forward)) {
    if (q.length === 0) continue;
    const [from, to] = k.split('>').map(Number) as [Sid, Sid];
    out.push({ type: 'forward', from, to });
  }
  w.stale.forEach((_, index) => out.push({ type: 'late-connect', index }));
  for (const c of w.clients) {
    if (c.ended) continue;
    if (c.conn === null) {
      for (const sid of sids) if (w.servers[sid]?.role) out.push({ type: 'connect', client: c.id, server: sid });
      continue;
    }
    if (c.established && c.waiting === null && c.reading === null) {
      if (c.next < SCRIPTS[b.scripts][c.id - 1]!.length) out.push({ type: 'write', client: c.id });
      else if (b.closes !== false) out.push({ type: 'close', client: c.id });
    }
    if (c.session !== null && w.used.moves < b.moves) for (const sid of sids) if (sid !== c.at && w.servers[sid]) out.push({ type: 'move', client: c.id, server: sid });
  }
  if (w.used.times < b.times) out.push({ type: 'time' });
  return out;
}

export function stepReplicas(w: Replicas, a: ReplicaAction, b: ReplicaBounds): Replicas {
  return new Run(w, b).act(a).roles().refines().done();
}

/** A server's role as the ZAB reducers give it, in the ideal's terms. */
function zabRole(zab: World<Entry>, sid: Sid): IdealRole {
  const z = zab.slots[sid]!.server;
  const role = z ? roleOf(zabView(z, false), false) : null;
  if (!z || role === null || role === 'readonly') return null;
  return { kind: role, leader: role === 'leader' ? sid : (z as { leader: Sid }).leader, epoch: role === 'leader' ? (z as Leading<Entry>).epoch : z.currentEpoch };
}

/** What the ZAB reducers did in one step, in order, for INV-23. */
type ZabEvent = { readonly kind: 'deliver' | 'propose'; readonly sid: Sid; readonly zxid: number; readonly entry: Entry };

/** One action on a copy of the replicas, with everything it causes. */
class Run {
  zab: World<Entry> | null;
  ideal: IdealZab;
  events: ZabEvent[] = [];
  servers: Record<Sid, ServerState | null>;
  clients: Client[];
  forward: Record<string, readonly (LearnerMessage | LeaderMessage)[]>;
  stale: Replicas['stale'];
  now: number;
  acked: Acked[];
  used: Replicas['used'];
  violations: Replicas['violations'];
  /** The zxid of the txn whose effects are being carried out (its watch events name no zxid). */
  applying: number | null = null;

  constructor(
    w: Replicas,
    private readonly b: ReplicaBounds,
  ) {
    this.zab = w.zab;
    this.ideal = w.ideal;
    this.servers = { ...w.servers };
    this.clients = [...w.clients];
    this.forward = { ...w.forward };
    this.stale = w.stale;
    this.now = w.now;
    this.acked = [...w.acked];
    this.used = w.used;
    this.violations = w.violations;
  }

  done(): Replicas {
    const { zab, ideal, servers, clients, forward, stale, now, acked, used, violations } = this;
    return { zab, ideal, servers, clients, forward, stale, now, acked, used, violations };
  }

  violation(id: string, detail: string): void {
    this.violations = [...this.violations, { id, detail }];
  }

  client(id: number): Client {
    return this.clients[id - 1]!;
  }

  newId(client: number): number {
    const c = this.client(client);
    this.setClient(client, { ids: c.ids + 1 });
    return client * 1_000_000 + c.ids + 1;
  }

  setClient(id: number, fields: Partial<Client>): void {
    this.clients[id - 1] = { ...this.client(id), ...fields };
  }

  act(a: ReplicaAction): this {
    switch (a.type) {
      case 'zab':
        if (a.action.type === 'crash' || a.action.type === 'restart') {
          this.process(a.action);
          this.idealStep(a.action); // INV-23: a crash and a restart are the ideal's own
        }
        if (a.action.type === 'timeout' && a.action.timer !== 'finalize') this.used = { ...this.used, timeouts: this.used.timeouts + 1 };
        this.zabAction(a.action);
        break;
      case 'ideal':
        this.process(a.action);
        this.idealStep(a.action);
        break;
      case 'connect': {
        const c = this.client(a.client);
        const conn = this.newId(a.client);
        this.setClient(a.client, { conn, at: a.server, established: false, claimed: false, raced: false, seen: 0 });
        const ask = c.session === null ? { sessionId: 0n, passwd: null } : { sessionId: c.session, passwd: sessionPassword(c.session) };
        this.input(a.server, { type: 'connect', conn, ask: { ...ask, timeOut: SESSION_MS, lastZxidSeen: 0n, readOnly: false }, auth: [], now: this.now });
        break;
      }
      case 'write': {
        const c = this.client(a.client);
        const step: ScriptStep = SCRIPTS[this.b.scripts][a.client - 1]![c.next]!;
        const ref = this.newId(a.client); // unique, as the shell's: a stale reply never answers a newer request
        this.claim(c);
        this.setClient(a.client, { waiting: ref, closing: false });
        this.input(c.at!, { type: 'request', conn: c.conn!, now: this.now });
        if ('read' in step) {
          this.input(c.at!, { type: 'read', conn: c.conn!, ref, ask: step.read, auth: [] });
          break;
        }
        this.input(c.at!, { type: 'submit', conn: c.conn!, ref, write: writeOf(step)!, auth: [], now: this.now });
        if ('andRead' in step && this.client(a.client).waiting === ref) {
          const read = this.newId(a.client);
          this.setClient(a.client, { reading: read });
          this.input(c.at!, { type: 'read', conn: c.conn!, ref: read, ask: step.andRead, auth: [] });
        }
        break;
      }
      case 'close': {
        const c = this.client(a.client);
        const ref = this.newId(a.client);
        this.claim(c);
        this.setClient(a.client, { waiting: ref, closing: true });
        this.input(c.at!, { type: 'request', conn: c.conn!, now: this.now });
        this.input(c.at!, { type: 'submit', conn: c.conn!, ref, write: { op: 'closeSession' }, auth: [], now: this.now });
        break;
      }
      case 'move': {
        const c = this.client(a.client);
        this.used = { ...this.used, moves: this.used.moves + 1 };
        this.stale = [...this.stale, { server: a.server, conn: this.newId(a.client), session: c.session! }];
        this.abandon(a.client);
        break;
      }
      case 'late-connect': {
        const s = this.stale[a.index]!;
        this.stale = this.stale.filter((_, i) => i !== a.index);
        if (this.servers[s.server]) {
          this.input(s.server, { type: 'connect', conn: s.conn, ask: { sessionId: s.session, passwd: sessionPassword(s.session), timeOut: SESSION_MS, lastZxidSeen: 0n, readOnly: false }, auth: [], now: this.now });
          this.input(s.server, { type: 'closed', conn: s.conn });
        }
        break;
      }
      case 'forward': {
        const k = `${a.from}>${a.to}`;
        const [msg, ...rest] = this.forward[k]!;
        this.forward[k] = rest;
        if (msg) this.input(a.to, { type: 'peer', from: a.from, msg, now: this.now });
        break;
      }
      case 'time': {
        // Past every deadline: connected clients ping first (their servers touch and report them).
        this.used = { ...this.used, times: this.used.times + 1 };
        for (const c of this.clients) if (c.established && c.conn !== null && c.at !== null) this.input(c.at, { type: 'request', conn: c.conn, now: this.now });
        this.now += SESSION_MS + 2 * TICK_MS;
        for (const sid of this.ideal.sids) this.input(sid, { type: 'tick', now: this.now });
        break;
      }
    }
    return this;
  }

  /** A crash or restart, for the server's reducer and its clients. */
  private process(a: Action<Entry> | IdealAction): void {
    if (a.type === 'crash') {
      this.used = { ...this.used, crashes: this.used.crashes + 1 };
      this.crashed(a.sid);
    }
    // SESSION-2: a restarted server hands out ids from its clock; time has passed since its last start.
    if (a.type === 'restart') this.servers[a.sid] = initialServer(serverConfig(a.sid, this.b), this.now + 1 + this.used.crashes);
  }

  /** A step of the ideal ZAB; each delivery reaches that server's reducer. Over the real reducers, a step they do not refine (INV-23). */
  private idealStep(a: IdealAction, heard?: (sid: Sid, e: LogEntry) => void): boolean {
    const why = idealRefuses(this.ideal, a);
    if (why) {
      this.violation('INV-23', `the ZAB reducers took a step the ideal ZAB does not (${a.type}${'sid' in a ? ` of server ${a.sid}` : ''}): ${why}`);
      return false;
    }
    this.ideal = idealApply(this.ideal, a, (sid, e) => {
      if (heard) heard(sid, e);
      else this.deliver(sid, e.value);
    });
    return true;
  }

  private deliver(sid: Sid, entry: Entry): void {
    if (entry.kind !== 'txn' || !this.servers[sid]) return;
    this.input(sid, { type: 'delivered', txn: entry.txn, ...(entry.origin ? { origin: entry.origin } : {}), now: this.now });
  }

  /**
   * INV-23: the ZAB reducers' step, as the servers' reducers saw it (roles, deliveries, proposals),
   * is a run of the ideal ZAB: roles gained (an election, a join), then the deliveries and
   * proposals in order (a commit is the leader's delivery), then roles lost; after it, every
   * server has the ideal's role and delivered up to the same zxid.
   */
  refines(): this {
    const zab = this.zab;
    if (!zab || this.b.timeouts > 0) return this; // the ideal describes runs without ZAB's timers
    const bad = (detail: string) => this.violation('INV-23', detail);
    const real = (sid: Sid): IdealRole => zabRole(zab, sid);
    const same = (a: IdealRole, b: IdealRole) => a === b || (a !== null && b !== null && a.kind === b.kind && a.leader === b.leader && a.epoch === b.epoch);
    const lose = (sid: Sid) => this.idealStep(this.ideal.servers[sid]!.role!.kind === 'leader' ? { type: 'step-down' } : { type: 'notice', sid });
    const expected = new Map<Sid, LogEntry[]>();
    for (const sid of this.ideal.sids) {
      const r = real(sid);
      if (r === null || same(r, this.ideal.servers[sid]!.role)) continue;
      if (this.ideal.servers[sid]!.role !== null && !lose(sid)) return this;
      if (r.kind === 'learner') {
        if (r.leader !== this.ideal.leader || r.epoch !== this.ideal.epoch) bad(`server ${sid} follows ${r.leader} in epoch ${r.epoch}; the ideal's leader is ${this.ideal.leader} of epoch ${this.ideal.epoch}`);
        if (!this.idealStep({ type: 'join', sid })) return this;
        continue;
      }
      const history = (zab.slots[sid]!.server as ZabState<Entry>).history;
      const { log, committed } = this.ideal;
      const keep = history.length - committed;
      if (history.some((t, i) => t.snapshot || i >= log.length || t.zxid !== log[i]!.zxid || valueKey(t.value) !== valueKey(log[i]!.value)) || keep < 0) {
        bad(`leader ${sid} of epoch ${r.epoch} starts from a history that is not the ideal's committed sequence and some of its proposals`);
        return this;
      }
      const deliveries: LogEntry[] = [];
      if (!this.idealStep({ type: 'elect', sid, keep, epoch: r.epoch }, (_, e) => deliveries.push(e))) return this;
      expected.set(sid, deliveries);
    }
    for (const ev of this.events) {
      if (ev.kind === 'propose') {
        const p = idealPropose(this.ideal, ev.sid, ev.entry);
        if (!p || p.zxid !== ev.zxid) return bad(`server ${ev.sid} proposed ${ev.zxid.toString(16)}; the ideal ZAB ${p ? `gives that proposal ${p.zxid.toString(16)}` : 'has no such leader'}`), this;
        this.ideal = p.zab;
        continue;
      }
      let got = expected.get(ev.sid)?.shift();
      if (!got && !this.idealStep(this.ideal.servers[ev.sid]!.role?.kind === 'leader' ? { type: 'commit' } : { type: 'deliver', sid: ev.sid }, (_, e) => (got = e))) return this;
      if (!got || got.zxid !== ev.zxid || valueKey(got.value) !== valueKey(ev.entry)) return bad(`server ${ev.sid} delivered ${ev.zxid.toString(16)} where the ideal ZAB delivers ${got ? got.zxid.toString(16) : 'nothing'}`), this;
    }
    for (const [sid, left] of expected) if (left.length) return bad(`leader ${sid} established without delivering ${left[0]!.zxid.toString(16)}`), this;
    for (const sid of this.ideal.sids) if (real(sid) === null && this.ideal.servers[sid]!.role !== null && !lose(sid)) return this;
    for (const sid of this.ideal.sids) {
      const z = zab.slots[sid]!.server;
      if (!same(real(sid), this.ideal.servers[sid]!.role)) bad(`server ${sid}'s role is not the ideal's`);
      else if (z && z.deliveredZxid !== idealDeliveredZxid(this.ideal, sid)) bad(`server ${sid} delivered up to ${z.deliveredZxid.toString(16)}, the ideal up to ${idealDeliveredZxid(this.ideal, sid).toString(16)}`);
    }
    this.events = [];
    return this;
  }

  /** The client's first request on its connection: is a message of its session from another server still in flight? */
  private claim(c: Client): void {
    if (c.claimed) return;
    const raced = Object.entries(this.forward).some(([k, q]) => !k.startsWith(`${c.at}>`) && q.some((m) => (m.type === 'REVALIDATE' || m.type === 'REQUEST') && m.session === c.session));
    this.setClient(c.id, { claimed: true, raced });
  }

  /** A client stops using its connection (it may still be open at the server, which learns later). */
  private abandon(id: number): void {
    const c = this.client(id);
    if (c.conn !== null && c.at !== null && this.servers[c.at]) this.input(c.at, { type: 'closed', conn: c.conn });
    this.setClient(id, { conn: null, at: null, established: false, waiting: null, reading: null, seen: 0 });
  }

  /** A server's process is gone: its clients' connections break; what it was sent or was to send is lost. */
  private crashed(sid: Sid): void {
    this.servers[sid] = null;
    for (const c of this.clients) if (c.at === sid) this.setClient(c.id, { conn: null, at: null, established: false, waiting: null, reading: null, seen: 0 });
    for (const k of Object.keys(this.forward)) if (k.startsWith(`${sid}>`) || k.endsWith(`>${sid}`)) this.forward[k] = [];
    this.stale = this.stale.filter((s) => s.server !== sid);
  }

  /** A ZAB action; every delivery it causes reaches that server's reducer, in order. */
  private zabAction(action: Action<Entry>): void {
    const delivered: { sid: Sid; txn: { zxid: number; value: Entry } }[] = [];
    this.zab = apply(this.zab!, action, (ev) => {
      for (const e of ev.effects) if (e.type === 'deliver') delivered.push({ sid: ev.node, txn: e.txn });
    });
    for (const d of delivered) {
      this.events.push({ kind: 'deliver', sid: d.sid, zxid: d.txn.zxid, entry: d.txn.value });
      this.deliver(d.sid, d.txn.value);
    }
  }

  /** A server's role now: the ideal's, or what the ZAB reducers give it. */
  private roleOf(sid: Sid): IdealRole {
    return this.zab ? zabRole(this.zab, sid) : this.ideal.servers[sid]!.role;
  }

  /**
   * The servers' messages travel on a learner's connection to its leader: one end crashing or
   * leaving that role ends it, and what was on it is lost (a restarted server is not the leader
   * its old learners followed).
   */
  private linked(from: Sid, to: Sid): boolean {
    const a = this.roleOf(from);
    const b = this.roleOf(to);
    if (!a || !b || a.epoch !== b.epoch) return false;
    return (a.kind === 'learner' && a.leader === to && b.kind === 'leader') || (a.kind === 'leader' && b.kind === 'learner' && b.leader === from);
  }

  /** SERVER-1: each live server's reducer reads ZAB's state after the action (it derives the role). */
  roles(): this {
    for (const k in this.forward) {
      if (this.forward[k]!.length === 0) continue;
      const [from, to] = k.split('>').map(Number) as [Sid, Sid];
      if (!this.linked(from, to)) this.forward[k] = [];
    }
    for (const sid of this.ideal.sids) {
      if (!this.servers[sid]) continue;
      if (!this.zab) {
        this.input(sid, { type: 'zab', zab: idealView(this.ideal, sid), now: this.now });
        continue;
      }
      const z = this.zab.slots[sid]!.server;
      if (z) this.input(sid, { type: 'zab', zab: zabView(z, false), now: this.now });
    }
    return this;
  }

  /** Feed a server's reducer and carry out its effects. */
  input(sid: Sid, input: ServerInput): void {
    const s = this.servers[sid];
    if (!s) return;
    const r = stepServer(s, input);
    this.servers[sid] = r.state;
    for (const e of r.effects) this.effect(sid, e);
  }

  /** The session was created in the committed sequence, and nobody has proposed its end. */
  private sessionLive(session: bigint): boolean {
    const values = this.zab ? [...this.zab.ghost.committed.map((t) => t.value), ...Object.values(this.zab.ghost.proposed)] : this.ideal.log.map((e) => e.value);
    const created = this.zab ? this.zab.ghost.committed.some((t) => isSessionTxn(t.value, session, 'createSession')) : this.ideal.log.slice(0, this.ideal.committed).some((e) => isSessionTxn(e.value, session, 'createSession'));
    return created && !values.some((v) => isSessionTxn(v, session, 'closeSession'));
  }

  private clientOfConn(sid: Sid, conn: ConnId): Client | undefined {
    return this.clients.find((c) => c.at === sid && c.conn === conn);
  }

  private clientOfRef(ref: number): Client | undefined {
    return this.clients.find((c) => c.waiting === ref || c.reading === ref);
  }

  private effect(sid: Sid, e: ServerEffect): void {
    switch (e.type) {
      case 'zab-propose': {
        let zxid: number | undefined;
        if (this.zab) {
          this.events.push({ kind: 'propose', sid, zxid: e.zxid, entry: e.entry }); // before the deliveries it may cause
          this.zabAction({ type: 'propose', sid, value: e.entry });
          const h = this.zab.slots[sid]!.server?.history;
          zxid = h?.[h.length - 1]?.zxid;
        } else {
          const p = idealPropose(this.ideal, sid, e.entry);
          if (p) this.ideal = p.zab;
          zxid = p?.zxid;
        }
        if (zxid !== e.zxid) this.violation('SERVER-10', `server ${sid} prepared ${e.zxid.toString(16)} but ZAB did not take it as that proposal`);
        return;
      }
      case 'send': {
        const k = `${sid}>${e.to}`;
        if (this.forward[k] && this.servers[e.to] && this.linked(sid, e.to)) this.forward[k] = [...this.forward[k]!, e.msg];
        return;
      }
      case 'accept': {
        const c = this.clientOfConn(sid, e.conn);
        if (c) this.setClient(c.id, { established: true, session: e.session });
        return;
      }
      case 'refuse':
      case 'reject':
      case 'close': {
        const c = this.clientOfConn(sid, e.conn);
        if (!c) return;
        // INV-24: a session is refused as expired only once it is over (its close or expiry proposed).
        if (e.type === 'reject' && c.session !== null && this.sessionLive(c.session)) this.violation('INV-24', `server ${sid} refused client ${c.id}'s live session ${c.session.toString(16)} as expired`);
        this.setClient(c.id, { conn: null, at: null, established: false, waiting: null, reading: null, seen: 0, ...(e.type === 'reject' ? { ended: true } : {}) });
        return;
      }
      case 'reply': {
        const c = this.clientOfRef(e.ref);
        if (!c) return;
        const close = c.closing;
        if (e.result.type === 'create') {
          const op = writeOf(SCRIPTS[this.b.scripts][c.id - 1]![c.next]!)!;
          const flags = 'flags' in op ? op.flags : 0;
          this.acked.push({ path: e.result.path, zxid: e.zxid, session: c.session!, kind: flags === 4 ? 'container' : (flags & 1) === 1 ? 'ephemeral' : 'persistent' });
        }
        const seen = Math.max(c.seen, e.zxid);
        this.setClient(c.id, close ? { waiting: null, ended: true, conn: null, at: null, established: false } : { waiting: null, seen, next: c.reading === null ? c.next + 1 : c.next });
        return;
      }
      case 'read-reply': {
        const c = this.clientOfRef(e.ref);
        if (!c) return;
        const seen = Math.max(c.seen, e.zxid);
        if (c.waiting === e.ref) return this.setClient(c.id, { waiting: null, seen, next: c.next + 1 }); // a read alone
        // INV-26: a read sent behind a write is answered after it, and sees it.
        const step = SCRIPTS[this.b.scripts][c.id - 1]![c.next]!;
        if (c.waiting !== null) this.violation('INV-26', `server ${sid} answered client ${c.id}'s read before the write sent ahead of it`);
        else if ('andRead' in step && 'path' in step.andRead && this.acked.some((x) => x.path === (step.andRead as { path: string }).path && x.session === c.session) && e.result.op !== 'exists') {
          this.violation('INV-26', `server ${sid} answered client ${c.id}'s read of ${step.andRead.path} without the write it had acknowledged just before`);
        }
        this.setClient(c.id, { reading: null, seen, next: c.waiting === null ? c.next + 1 : c.next });
        return;
      }
      case 'notify': {
        // INV-26: a watch event reaches the client before any reply that carries its txn's zxid or a later one.
        const c = this.clientOfConn(sid, e.conn);
        if (c && this.applying !== null && c.seen >= this.applying) this.violation('INV-26', `server ${sid} told client ${c.id} of a change at ${this.applying.toString(16)} after a reply at ${c.seen.toString(16)}`);
        return;
      }
      case 'moved': {
        // INV-22: a session is never refused as moved by the server it last connected to.
        const c = this.clientOfRef(e.ref);
        if (c && c.at === sid && c.established && !c.raced) this.violation('INV-22', `client ${c.id}'s write through server ${sid}, where it is connected, was refused as moved`);
        if (c) this.setClient(c.id, { conn: null, at: null, established: false, waiting: null, reading: null, seen: 0 });
        return;
      }
      case 'dropped': {
        const c = this.clientOfRef(e.ref);
        if (c) this.setClient(c.id, { conn: null, at: null, established: false, waiting: null, reading: null, seen: 0 });
        return;
      }
      case 'diverged':
        this.violation('INV-20', `server ${sid}'s tree after ${e.zxid.toString(16)} is not the leader's (digest ${e.actual} ≠ ${e.expected})`);
        return;
      case 'applied':
        this.applying = e.zxid;
        return;
      case 'log':
        return;
    }
  }
}

const isSessionTxn = (e: Entry, session: bigint, op: 'createSession' | 'closeSession'): boolean => e.kind === 'txn' && e.txn.session === session && e.txn.op.type === op;

/** The parts of a world are immutable and shared with its parent: each part's text is made once. */
const KEYS = new WeakMap<object, string>();
function cached<O extends object>(o: O, make: (o: O) => string): string {
  let k = KEYS.get(o);
  if (k === undefined) {
    k = make(o);
    KEYS.set(o, k);
  }
  return k;
}

const zabSlotKey = (z: World<Entry>['slots'][number]): string =>
  z.server === null
    ? `down|${z.durable.currentEpoch}/${z.durable.acceptedEpoch}|${z.durable.history.map((t) => t.zxid).join(',')}`
    : `${JSON.stringify(z.server, zabReplacer)}|${z.timers.join(',')}|${z.durable.currentEpoch}/${z.durable.acceptedEpoch}/${z.durable.history.length}`;

/**
 * Symmetry: a fingerprint leaves out the counters that only hand out fresh ids — a server's next
 * session id and request number, a client's next connection and request id. Two states that differ
 * only there have the same futures up to a renaming of the ids not yet handed out (the one with
 * counter c hands out c, c+1, … where the other hands out c', c'+1, …). Every id in use is below
 * its counter in both, so the renaming keeps ids distinct and in the same order — ids are compared
 * for equality, and sessions also by order (expiry, `expired` in src/tree) — and a restart starts
 * its counters from the clock, not from them. Without it, a client that wrote to a server before
 * that server noticed its leader was gone differed only in a counter from one that did not.
 */
const serverKey = (r: ServerState): string =>
  `${r.role}/${r.leader}/${r.lastZxid}/${r.tree.digest}/${r.tree.nodes.size}/${r.tree.sessions.size}/${r.speculative?.digest ?? '-'}/${r.nextZxid}|${mapKey(r.conns)}|${mapKey(r.owners)}|${mapKey(r.clock.deadlines)}|${mapKey(r.touched)}|${mapKey(r.waiting)}|${mapKey(r.validating)}|${mapKey(r.asked)}|${r.watches.data.size + r.watches.child.size}|${r.reaper.nextCheck}/${r.reaper.queue.join(',')}/${r.reaper.deletedInWindow}`;

/** A canonical text of everything a future step can read, for fingerprints. */
export function replicaKey(w: Replicas): string {
  const parts: string[] = [idealKey(w.ideal)];
  for (const sid of w.ideal.sids) {
    if (w.zab) parts.push(cached(w.zab.slots[sid]!, zabSlotKey));
    const r = w.servers[sid];
    parts.push(r ? cached(r, serverKey) : '-');
  }
  if (w.zab) {
    for (const k in w.zab.channels) {
      const q = w.zab.channels[k]!;
      if (q.length) parts.push(k, cached(q, (x) => JSON.stringify(x, valueReplacer)));
    }
    parts.push(w.zab.unnoticed.join(','), w.zab.blocked.join(','));
  }
  for (const k in w.forward) if (w.forward[k]!.length) parts.push(k, cached(w.forward[k]!, (x) => JSON.stringify(x, valueReplacer)));
  parts.push(cached(w.clients, (x) => JSON.stringify(x, (k, v) => (k === 'ids' ? undefined : valueReplacer(k, v)))), JSON.stringify(w.stale, valueReplacer), `${w.now}|${w.used.crashes}/${w.used.times}/${w.used.moves}/${w.used.timeouts}`);
  parts.push(cached(w.acked, (x) => x.map((a) => `${a.path}@${a.zxid}`).sort().join(',')), String(w.violations.length)); // acked is a set
  return parts.join('\n');
}

const idealKey = (z: IdealZab): string =>
  `${z.epoch}/${z.leader}/${z.committed}/${z.proposed}|${cached(z.log, (log) => log.map((e) => `${e.zxid}:${valueKey(e.value)}`).join(','))}|${cached(z.servers, (x) => JSON.stringify(x))}`;

function zabReplacer(k: string, v: unknown): unknown {
  if (k === 'config') return undefined;
  return valueReplacer(k, v);
}
function valueReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (v && typeof v === 'object' && 'kind' in v && (v as Entry).kind === 'txn') return valueKey(v as Entry);
  return v;
}

function valueKey(e: Entry): string {
  if (e.kind !== 'txn') return 'base';
  const t = e.txn;
  return `${t.session}:${JSON.stringify(t.op, valueReplacer)}:${e.origin ? `${e.origin.server}.${e.origin.id}` : ''}`;
}

function mapKey(m: IMap<unknown, unknown>): string {
  return JSON.stringify([...m.entries()].map(([k, v]) => [k, v]).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)), valueReplacer);
}

