// Whole replicas in the model: each server is the ZAB reducers (in the world of world.ts) plus the
// server's own reducer (src/server) with the real data tree, and abstract clients open sessions,
// create nodes, move between servers, leave ConnectRequests behind and close or let their
// sessions expire. The checker explores these worlds with the client-level invariants
// (model/client-invariants.ts) on top of the protocol's.
import { Map as IMap } from 'immutable';
import { sessionPassword, type WriteOp } from '../src/tree/index.ts';
import { DEFAULT_REAPING, initialServer, stepServer, zabView, type ConnId, type Entry, type LeaderMessage, type LearnerMessage, type ServerDeviation, type ServerEffect, type ServerInput, type ServerState } from '../src/server/index.ts';
import type { Sid } from '../src/zab/index.ts';
import { settle } from './liveness.ts';
import { apply, createWorld, enabled, type Action, type World } from './world.ts';

export const TICK_MS = 100;
export const SESSION_MS = 1000;
const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

const node = (path: string, flags: number): WriteOp => ({ op: flags === 4 ? 'createContainer' : 'create', path, data: new Uint8Array(0), acl: OPEN, flags });

/**
 * What each client does, in order, once it has a session; it may then close its session.
 * `plain`: a persistent node and an ephemeral; `reaping`: a container and a child in it (SERVER-15), and an ephemeral.
 */
export const SCRIPTS = {
  plain: [[node('/p1', 0)], [node('/e2', 1)]],
  reaping: [[node('/c', 4), node('/c/p1', 0)], [node('/e2', 1)]],
} as const satisfies Readonly<Record<string, readonly (readonly WriteOp[])[]>>;

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
  readonly zab: World<Entry>;
  /** Each server's reducer; null while crashed. */
  readonly servers: Readonly<Record<Sid, ServerState | null>>;
  readonly clients: readonly Client[];
  /** Learner → leader messages of the servers' own (REQUEST, REVALIDATE, TOUCH), FIFO per pair. */
  readonly forward: Readonly<Record<string, readonly (LearnerMessage | LeaderMessage)[]>>;
  /** ConnectRequests a server took into its buffer and has not read yet; their clients have gone. */
  readonly stale: readonly { readonly server: Sid; readonly conn: ConnId; readonly session: bigint }[];
  readonly nextConn: number;
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
  readonly deviation?: ServerDeviation;
  /** ZAB mutant, passed to the reducers. */
  readonly zabDeviation?: World<Entry>['slots'][number]['config']['deviation'];
}

export const DEFAULT_REPLICA_BOUNDS: ReplicaBounds = { servers: 3, clients: 2, crashes: 1, times: 1, moves: 1, timeouts: 0, maxDepth: 200, scripts: 'reaping' };

export type ReplicaAction =
  | { readonly type: 'zab'; readonly action: Action<Entry> }
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
  const servers: Record<Sid, ServerState | null> = {};
  for (const sid of voters) servers[sid] = initialServer(serverConfig(sid, b), 0);
  const forward: Record<string, readonly (LearnerMessage | LeaderMessage)[]> = {};
  for (const a of voters) for (const c of voters) if (a !== c) forward[`${a}>${c}`] = [];
  const clients = Array.from({ length: b.clients }, (_, i): Client => ({ id: i + 1, session: null, conn: null, at: null, established: false, next: 0, waiting: null, ended: false, claimed: false, raced: false, closing: false }));
  const w: Replicas = { zab, servers, clients, forward, stale: [], nextConn: 1, now: 0, acked: [], used: { crashes: 0, times: 0, moves: 0, timeouts: 0 }, violations: [] };
  return new Run(w, b).roles().done();
}

export function replicaActions(w: Replicas, b: ReplicaBounds): ReplicaAction[] {
  // NET-5: finalize fires freely; notify, init and sync within the budget; ping never.
  const timerOk = (a: Action<Entry>) => a.type !== 'timeout' || a.timer === 'finalize' || (a.timer !== 'ping' && w.used.timeouts < b.timeouts);
  const out: ReplicaAction[] = enabled(w.zab).filter(timerOk).map((action) => ({ type: 'zab', action }));
  const sids = w.zab.sids;
  for (const sid of sids) {
    const up = w.zab.slots[sid]!.server !== null;
    if (up && w.used.crashes < b.crashes) out.push({ type: 'zab', action: { type: 'crash', sid } });
    if (!up) out.push({ type: 'zab', action: { type: 'restart', sid } });
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
    if (c.established && c.waiting === null) {
      if (c.next < SCRIPTS[b.scripts][c.id - 1]!.length) out.push({ type: 'write', client: c.id });
      else out.push({ type: 'close', client: c.id });
    }
    if (c.session !== null && w.used.moves < b.moves) for (const sid of sids) if (sid !== c.at && w.servers[sid]) out.push({ type: 'move', client: c.id, server: sid });
  }
  if (w.used.times < b.times) out.push({ type: 'time' });
  return out;
}

export function stepReplicas(w: Replicas, a: ReplicaAction, b: ReplicaBounds): Replicas {
  return new Run(w, b).act(a).roles().done();
}

/** One action on a copy of the replicas, with everything it causes. */
class Run {
  zab: World<Entry>;
  servers: Record<Sid, ServerState | null>;
  clients: Client[];
  forward: Record<string, readonly (LearnerMessage | LeaderMessage)[]>;
  stale: Replicas['stale'];
  nextConn: number;
  now: number;
  acked: Acked[];
  used: Replicas['used'];
  violations: Replicas['violations'];

  constructor(
    w: Replicas,
    private readonly b: ReplicaBounds,
  ) {
    this.zab = w.zab;
    this.servers = { ...w.servers };
    this.clients = [...w.clients];
    this.forward = { ...w.forward };
    this.stale = w.stale;
    this.nextConn = w.nextConn;
    this.now = w.now;
    this.acked = [...w.acked];
    this.used = w.used;
    this.violations = w.violations;
  }

  done(): Replicas {
    const { zab, servers, clients, forward, stale, nextConn, now, acked, used, violations } = this;
    return { zab, servers, clients, forward, stale, nextConn, now, acked, used, violations };
  }

  violation(id: string, detail: string): void {
    this.violations = [...this.violations, { id, detail }];
  }

  client(id: number): Client {
    return this.clients[id - 1]!;
  }

  setClient(id: number, fields: Partial<Client>): void {
    this.clients[id - 1] = { ...this.client(id), ...fields };
  }

  act(a: ReplicaAction): this {
    switch (a.type) {
      case 'zab':
        if (a.action.type === 'crash') {
          this.used = { ...this.used, crashes: this.used.crashes + 1 };
          this.crashed(a.action.sid);
        }
        // SESSION-2: a restarted server hands out ids from its clock; time has passed since its last start.
        if (a.action.type === 'restart') this.servers[a.action.sid] = initialServer(serverConfig(a.action.sid, this.b), this.now + 1 + this.used.crashes);
        if (a.action.type === 'timeout' && a.action.timer !== 'finalize') this.used = { ...this.used, timeouts: this.used.timeouts + 1 };
        this.zabAction(a.action);
        break;
      case 'connect': {
        const c = this.client(a.client);
        const conn = this.nextConn++;
        this.setClient(a.client, { conn, at: a.server, established: false, claimed: false, raced: false });
        const ask = c.session === null ? { sessionId: 0n, passwd: null } : { sessionId: c.session, passwd: sessionPassword(c.session) };
        this.input(a.server, { type: 'connect', conn, ask: { ...ask, timeOut: SESSION_MS, lastZxidSeen: 0n, readOnly: false }, auth: [], now: this.now });
        break;
      }
      case 'write': {
        const c = this.client(a.client);
        const ref = this.nextConn++; // unique, as the shell's: a stale reply never answers a newer request
        this.claim(c);
        this.setClient(a.client, { waiting: ref, closing: false });
        this.input(c.at!, { type: 'request', conn: c.conn!, now: this.now });
        this.input(c.at!, { type: 'submit', conn: c.conn!, ref, write: SCRIPTS[this.b.scripts][a.client - 1]![c.next]!, auth: [], now: this.now });
        break;
      }
      case 'close': {
        const c = this.client(a.client);
        const ref = this.nextConn++;
        this.claim(c);
        this.setClient(a.client, { waiting: ref, closing: true });
        this.input(c.at!, { type: 'request', conn: c.conn!, now: this.now });
        this.input(c.at!, { type: 'submit', conn: c.conn!, ref, write: { op: 'closeSession' }, auth: [], now: this.now });
        break;
      }
      case 'move': {
        const c = this.client(a.client);
        this.used = { ...this.used, moves: this.used.moves + 1 };
        this.stale = [...this.stale, { server: a.server, conn: this.nextConn++, session: c.session! }];
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
        for (const sid of this.zab.sids) this.input(sid, { type: 'tick', now: this.now });
        break;
      }
    }
    return this;
  }

  /** The client's first request on its connection: is a message of its session from another server still in flight? */
  private claim(c: Client): void {
    if (c.claimed) return;
    const raced = Object.entries(this.forward).some(([k, q]) => !k.startsWith(`${c.at}>`) && q.some((m) => 'session' in m && m.session === c.session));
    this.setClient(c.id, { claimed: true, raced });
  }

  /** A client stops using its connection (it may still be open at the server, which learns later). */
  private abandon(id: number): void {
    const c = this.client(id);
    if (c.conn !== null && c.at !== null && this.servers[c.at]) this.input(c.at, { type: 'closed', conn: c.conn });
    this.setClient(id, { conn: null, at: null, established: false, waiting: null });
  }

  /** A server's process is gone: its clients' connections break; what it was sent or was to send is lost. */
  private crashed(sid: Sid): void {
    this.servers[sid] = null;
    for (const c of this.clients) if (c.at === sid) this.setClient(c.id, { conn: null, at: null, established: false, waiting: null });
    for (const k of Object.keys(this.forward)) if (k.startsWith(`${sid}>`) || k.endsWith(`>${sid}`)) this.forward[k] = [];
    this.stale = this.stale.filter((s) => s.server !== sid);
  }

  /** A ZAB action; every delivery it causes reaches that server's reducer, in order. */
  private zabAction(action: Action<Entry>): void {
    const delivered: { sid: Sid; entry: Entry }[] = [];
    this.zab = apply(this.zab, action, (ev) => {
      for (const e of ev.effects) if (e.type === 'deliver') delivered.push({ sid: ev.node, entry: e.txn.value });
    });
    for (const d of delivered) {
      if (d.entry.kind !== 'txn' || !this.servers[d.sid]) continue;
      this.input(d.sid, { type: 'delivered', txn: d.entry.txn, ...(d.entry.origin ? { origin: d.entry.origin } : {}), now: this.now });
    }
  }

  /** SERVER-1: each live server's reducer reads ZAB's state after the action (it derives the role). */
  roles(): this {
    for (const sid of this.zab.sids) {
      const z = this.zab.slots[sid]!.server;
      if (!this.servers[sid] || !z) continue;
      this.input(sid, { type: 'zab', zab: zabView(z, false), now: this.now });
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

  private clientOfConn(sid: Sid, conn: ConnId): Client | undefined {
    return this.clients.find((c) => c.at === sid && c.conn === conn);
  }

  private clientOfRef(ref: number): Client | undefined {
    return this.clients.find((c) => c.waiting === ref);
  }

  private effect(sid: Sid, e: ServerEffect): void {
    switch (e.type) {
      case 'zab-propose': {
        this.zabAction({ type: 'propose', sid, value: e.entry });
        const h = this.zab.slots[sid]!.server?.history;
        if (h?.[h.length - 1]?.zxid !== e.zxid) this.violation('SERVER-10', `server ${sid} prepared ${e.zxid.toString(16)} but ZAB did not take it as that proposal`);
        return;
      }
      case 'send': {
        const k = `${sid}>${e.to}`;
        if (this.forward[k] && this.servers[e.to]) this.forward[k] = [...this.forward[k]!, e.msg];
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
        this.setClient(c.id, { conn: null, at: null, established: false, waiting: null, ...(e.type === 'reject' ? { ended: true } : {}) });
        return;
      }
      case 'reply': {
        const c = this.clientOfRef(e.ref);
        if (!c) return;
        const close = c.closing;
        if (e.result.type === 'create') {
          const op = SCRIPTS[this.b.scripts][c.id - 1]![c.next]!;
          const flags = 'flags' in op ? op.flags : 0;
          this.acked.push({ path: e.result.path, zxid: e.zxid, session: c.session!, kind: flags === 4 ? 'container' : (flags & 1) === 1 ? 'ephemeral' : 'persistent' });
        }
        this.setClient(c.id, close ? { waiting: null, ended: true, conn: null, at: null, established: false } : { waiting: null, next: c.next + 1 });
        return;
      }
      case 'moved': {
        // INV-22: a session is never refused as moved by the server it last connected to.
        const c = this.clientOfRef(e.ref);
        if (c && c.at === sid && c.established && !c.raced) this.violation('INV-22', `client ${c.id}'s write through server ${sid}, where it is connected, was refused as moved`);
        if (c) this.setClient(c.id, { conn: null, at: null, established: false, waiting: null });
        return;
      }
      case 'dropped': {
        const c = this.clientOfRef(e.ref);
        if (c) this.setClient(c.id, { conn: null, at: null, established: false, waiting: null });
        return;
      }
      case 'diverged':
        this.violation('INV-20', `server ${sid}'s tree after ${e.zxid.toString(16)} is not the leader's (digest ${e.actual} ≠ ${e.expected})`);
        return;
      case 'applied':
      case 'log':
        return;
    }
  }
}

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

const serverKey = (r: ServerState): string =>
  `${r.role}/${r.leader}/${r.lastZxid}/${r.tree.digest}/${r.tree.nodes.size}/${r.tree.sessions.size}/${r.speculative?.digest ?? '-'}/${r.nextZxid}/${r.nextOrigin}/${r.nextSession}|${mapKey(r.conns)}|${mapKey(r.owners)}|${mapKey(r.clock.deadlines)}|${mapKey(r.touched)}|${mapKey(r.waiting)}|${r.reaper.nextCheck}/${r.reaper.queue.join(',')}/${r.reaper.deletedInWindow}`;

/** A canonical text of everything a future step can read, for fingerprints. */
export function replicaKey(w: Replicas): string {
  const parts: string[] = [];
  for (const sid of w.zab.sids) {
    parts.push(cached(w.zab.slots[sid]!, zabSlotKey));
    const r = w.servers[sid];
    parts.push(r ? cached(r, serverKey) : '-');
  }
  for (const k in w.zab.channels) {
    const q = w.zab.channels[k]!;
    if (q.length) parts.push(k, cached(q, (x) => JSON.stringify(x, valueReplacer)));
  }
  for (const k in w.forward) if (w.forward[k]!.length) parts.push(k, cached(w.forward[k]!, (x) => JSON.stringify(x, valueReplacer)));
  parts.push(cached(w.clients, (x) => JSON.stringify(x, valueReplacer)), JSON.stringify(w.stale, valueReplacer), `${w.now}|${w.nextConn}|${w.used.crashes}/${w.used.times}/${w.used.moves}/${w.used.timeouts}`, w.zab.unnoticed.join(','), w.zab.blocked.join(','));
  parts.push(w.acked.map((a) => `${a.path}@${a.zxid}`).join(','), String(w.violations.length));
  return parts.join('\n');
}

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

