// A zabkit server: the client port, sessions and the data tree around one ZAB node. A single
// server is an ensemble of one: it elects itself through the same reducers, and every write is
// a ZAB proposal that commits once the txn log has it on disk.
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import {
  apply,
  authenticate,
  Code,
  dropWatcher,
  emptyTree,
  emptyWatches,
  errorTxn,
  expired,
  firstSessionId,
  forget,
  negotiateTimeout,
  passwordMatches,
  prepare,
  readableBy,
  sessionClock,
  sessionPassword,
  touch,
  trigger,
  type Notification,
  type SessionClock,
  type Tree,
  type TreeConfig,
  type WatchTable,
  type WriteOp,
} from '../tree/index.ts';
import { nextZxid } from '../zab/broadcast.ts';
import type { Leading } from '../zab/types.ts';
import { formatZxid } from '../zab/zxid.ts';
import { decodeConnectRequest, decodeRequest, encodeConnectResponse, encodeError, encodeNotification, encodeReply } from '../wire/protocol.ts';
import type { ServerConfig } from './config.ts';
import { Connection, type Slot } from './connection.ts';
import { fourLetterWord, isFourLetterWord, type ServerView } from './four-letter.ts';
import type { Logger } from './logger.ts';
import { serveRead, type ReadContext } from './reads.ts';
import { writeOf, writeReply } from './requests.ts';
import { Storage } from './storage.ts';
import { durableOf, ZabNode, type Entry } from './zab-node.ts';

/** Watcher state SyncConnected, the only one a server sends with an event. */
const SYNC_CONNECTED = 3;

type Pending =
  | { readonly type: 'reply'; readonly conn: Connection; readonly slot: Slot; readonly start: number }
  | { readonly type: 'connect'; readonly conn: Connection; readonly readOnly: boolean | undefined };

export class Server implements ServerView {
  readonly config: ServerConfig;
  private readonly logger: Logger;
  private node!: ZabNode;
  private storage!: Storage;
  private listener: NetServer | null = null;
  private committed: Tree = emptyTree();
  /** The leader's tree with every proposal applied: what prepare checks the next write against. */
  private speculative: Tree | null = null;
  private watches: WatchTable<Connection> = emptyWatches();
  private clock: SessionClock;
  private readonly conns = new Set<Connection>();
  private readonly bySession = new Map<bigint, Connection>();
  private readonly pending = new Map<number, Pending>();
  private nextSession = 0n;
  private expiryTimer: NodeJS.Timeout | null = null;
  private purgeTimer: NodeJS.Timeout | null = null;
  private readonly treeConfig: TreeConfig;
  readonly stats = { received: 0, sent: 0, latencyMin: Infinity, latencyMax: 0, latencyTotal: 0, latencyCount: 0 };
  lastZxid = 0;
  port = 0;
  private stopping: Promise<void> | null = null;
  /** Reads see the committed tree as it is when their turn comes. */
  private readonly reads: ReadContext;

  constructor(config: ServerConfig, logger: Logger) {
    this.config = config;
    this.logger = logger;
    this.clock = sessionClock(config.tickTime);
    this.treeConfig = { extendedTypes: config.extendedTypes, enforceQuota: false, maxDataBytes: config.maxBuffer };
    const server = this;
    this.reads = {
      get tree() {
        return server.committed;
      },
      get zxid() {
        return BigInt(server.lastZxid);
      },
      get watches() {
        return server.watches;
      },
      set watches(w) {
        server.watches = w;
      },
      notify: (ns) => server.notify(ns),
    };
  }

  // ---------------------------------------------------------------- life cycle

  /** Recover from disk, start ZAB, listen. Resolves with the client port once listening. */
  async start(): Promise<number> {
    const c = this.config;
    const { storage, recovered } = Storage.open(c.dataDir, c.dataLogDir, this.logger);
    this.storage = storage;
    this.nextSession = firstSessionId(c.myid, Date.now());
    const voters = c.servers.filter((s) => !s.observer).map((s) => s.id);
    this.node = new ZabNode(
      {
        sid: c.myid,
        voters: voters.length ? voters : [c.myid],
        observers: c.servers.filter((s) => s.observer).map((s) => s.id),
        snapCount: c.snapCount,
        timing: { tickMs: c.tickTime, initLimit: c.initLimit, syncLimit: c.syncLimit, finalizeMs: 200, notifyMs: 200 },
      },
      storage,
      {
        deliver: (entry, zxid) => this.deliver(entry, zxid),
        committedTree: () => this.committed,
        send: () => {}, // an ensemble of one has no peers (issue 6 brings the TCP peers)
        disconnect: () => {},
        stepped: () => this.stepped(),
      },
      this.logger,
    );
    this.node.onFatal = () => void this.stop();
    this.node.afterSnapshot = (zxid) => {
      this.logger.info('snapshot written', { zxid: formatZxid(zxid) });
      if (c.purgeInterval > 0) this.purge();
    };
    this.node.start(durableOf(recovered));
    if (c.purgeInterval > 0) this.purgeTimer = setInterval(() => this.purge(), c.purgeInterval * 3600_000).unref();
    this.listener = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      this.listener!.once('error', reject);
      this.listener!.listen(c.clientPort, c.clientPortAddress, () => resolve());
    });
    const addr = this.listener.address();
    this.port = typeof addr === 'object' && addr ? addr.port : c.clientPort;
    this.logger.info('listening', { address: c.clientPortAddress, port: this.port, myid: c.myid });
    return this.port;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.info('stopping');
      if (this.expiryTimer) clearInterval(this.expiryTimer);
      if (this.purgeTimer) clearInterval(this.purgeTimer);
      await new Promise<void>((resolve) => {
        if (!this.listener) return resolve();
        this.listener.close(() => resolve());
        for (const c of this.conns) c.end();
      });
      await this.node.stop();
      await this.storage.close();
      this.logger.info('stopped', { lastZxid: formatZxid(this.lastZxid) });
    })();
    return this.stopping;
  }

  private purge(): void {
    const r = this.storage.purge(this.config.snapRetainCount);
    if (r.snapshots || r.logs) this.logger.info('purged', r);
  }

  // ---------------------------------------------------------------- ZAB hooks

  get serving(): boolean {
    const s = this.node.state;
    return s.phase === 'leading' && s.stage === 'broadcast' && this.stopping === null;
  }

  get mode(): string {
    const s = this.node.state;
    if (this.config.servers.length <= 1) return 'standalone';
    return s.phase === 'leading' ? 'leader' : s.phase === 'following' ? 'follower' : s.phase === 'observing' ? 'observer' : 'looking';
  }

  /** After every step: a leader that became established starts serving; one that stopped, stops. */
  private stepped(): void {
    if (this.serving && this.speculative === null) {
      this.speculative = this.committed;
      const now = Date.now();
      // Sessions recovered from disk get their whole timeout again, as in ZooKeeper.
      for (const [id, s] of this.committed.sessions) this.clock = touch(this.clock, id, s.timeout, now);
      this.expiryTimer = setInterval(() => this.expireSessions(), this.config.tickTime);
      this.logger.info('serving', { mode: this.mode, epoch: this.node.state.currentEpoch, lastZxid: formatZxid(this.lastZxid) });
    } else if (!this.serving && this.speculative !== null) {
      this.speculative = null;
      if (this.expiryTimer) clearInterval(this.expiryTimer);
      this.expiryTimer = null;
      for (const c of this.conns) c.end(); // clients reconnect once a leader serves again
    }
  }

  /** BCAST-5: a committed entry reaches the tree; watches fire before the write's reply goes out. */
  private deliver(entry: Entry, zxid: number): void {
    this.lastZxid = zxid;
    if (entry.kind === 'base') {
      this.committed = entry.tree;
      return;
    }
    const txn = entry.txn;
    const applied = apply(this.committed, txn);
    this.committed = applied.tree;
    if (applied.events.length) {
      const fired = trigger(this.watches, applied.events, readableBy((c: Connection) => c.auth));
      this.watches = fired.table;
      this.notify(fired.notifications);
    }
    const p = this.pending.get(zxid);
    if (p) this.pending.delete(zxid);
    const op = txn.op;
    if (op.type === 'createSession') {
      this.clock = touch(this.clock, txn.session, op.timeout, Date.now());
      if (p?.type === 'connect') this.finishConnect(p.conn, txn.session, op.timeout, p.readOnly);
    } else if (op.type === 'closeSession') {
      this.clock = forget(this.clock, txn.session);
      const holder = this.bySession.get(txn.session);
      if (holder && holder !== (p?.type === 'reply' ? p.conn : undefined)) holder.end();
    }
    if (p?.type === 'reply') {
      p.slot.reply = writeReply(p.slot.xid, BigInt(zxid), applied.result);
      if (op.type === 'closeSession') p.slot.close = true;
      this.noteLatency(p.start);
      p.conn.lastZxid = BigInt(zxid);
      p.conn.flush();
    }
  }

  private notify(ns: readonly Notification<Connection>[]): void {
    for (const n of ns) n.watcher.write(encodeNotification(n.type, SYNC_CONNECTED, n.path));
  }

  private noteLatency(start: number): void {
    const ms = Date.now() - start;
    const s = this.stats;
    s.latencyMin = Math.min(s.latencyMin, ms);
    s.latencyMax = Math.max(s.latencyMax, ms);
    s.latencyTotal += ms;
    s.latencyCount++;
  }

  // ---------------------------------------------------------------- writes

  /** BCAST-1: prepare a write against the speculative tree and propose it; false if not serving. */
  private propose(session: bigint, auth: Connection['auth'], write: WriteOp, pending?: Pending): boolean {
    if (!this.serving || this.speculative === null) return false;
    const zxid = nextZxid(this.node.state as Leading<Entry>);
    const header = { session, auth, zxid, time: Date.now() };
    const prepared = prepare(this.speculative, { ...header, write }, this.treeConfig);
    const txn = prepared.ok ? prepared.txn : errorTxn(header, prepared);
    if (prepared.ok) for (const w of prepared.warnings) this.logger.warn('quota', { warning: w });
    this.speculative = apply(this.speculative, txn).tree;
    if (pending) this.pending.set(zxid, pending);
    this.node.input({ type: 'propose', value: { kind: 'txn', txn } });
    const proposed = this.node.state.history[this.node.state.history.length - 1];
    if (proposed?.zxid !== zxid) throw new Error(`ZAB gave the proposal ${proposed?.zxid}, prepared for ${zxid}`);
    return true;
  }

  /** SESSION-6: the leader closes every session whose deadline passed. */
  private expireSessions(): void {
    const now = Date.now();
    for (const id of expired(this.clock, now)) {
      this.clock = forget(this.clock, id);
      this.logger.info('session expired', { session: id });
      this.propose(id, [], { op: 'closeSession' });
    }
  }

  // ---------------------------------------------------------------- connections

  private accept(socket: Socket): void {
    const conn = new Connection(socket, this.config.maxBuffer);
    const max = this.config.maxClientCnxns;
    if (max > 0 && [...this.conns].filter((c) => c.remote === conn.remote).length >= max) {
      this.logger.warn('too many connections', { remote: conn.remote, max });
      socket.destroy();
      return;
    }
    this.conns.add(conn);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', (e) => this.logger.debug('socket error', { conn: conn.id, error: e.message }));
    socket.on('close', () => this.onClose(conn));
  }

  private onClose(conn: Connection): void {
    conn.closed = true;
    if (!this.conns.delete(conn)) return;
    this.stats.sent += conn.sent;
    this.watches = dropWatcher(this.watches, conn);
    if (conn.session !== null && this.bySession.get(conn.session) === conn) this.bySession.delete(conn.session);
    for (const [zxid, p] of this.pending) if (p.conn === conn && p.type === 'connect') this.pending.delete(zxid);
  }

  private onData(conn: Connection, chunk: Buffer): void {
    const got = conn.read(chunk, (w) => !conn.established && isFourLetterWord(w));
    if (got.type === 'word') {
      conn.write(Buffer.from(fourLetterWord(this, got.word), 'utf8'));
      conn.end();
      return;
    }
    if (got.type === 'bad') return this.drop(conn, got.error);
    for (const frame of got.frames) {
      if (conn.closed) return;
      this.stats.received++;
      conn.received++;
      if (conn.session === null) this.onConnect(conn, frame);
      else this.onPacket(conn, frame);
    }
  }

  /** A malformed packet closes this connection, never the server. */
  private drop(conn: Connection, why: string): void {
    this.logger.warn('closing connection: malformed input', { conn: conn.id, remote: conn.remote, error: why });
    conn.socket.destroy();
    this.onClose(conn);
  }

  private onConnect(conn: Connection, frame: Uint8Array): void {
    const d = decodeConnectRequest(frame);
    if (!d.ok) return this.drop(conn, `connect request: ${d.error}`);
    const req = d.value;
    if (!this.serving) {
      this.logger.info('refusing connection: not serving yet', { remote: conn.remote });
      return conn.end();
    }
    if (req.lastZxidSeen > BigInt(this.lastZxid)) {
      // The client has seen a newer state than ours: it must find another server (ZooKeeper does the same).
      this.logger.info('refusing session: client is ahead', { remote: conn.remote, clientZxid: req.lastZxidSeen, lastZxid: this.lastZxid });
      return conn.end();
    }
    const timeout = negotiateTimeout(req.timeOut, this.config.tickTime, this.config.minSessionTimeout, this.config.maxSessionTimeout);
    if (req.sessionId === 0n) {
      const id = this.nextSession++;
      conn.session = id;
      this.propose(id, conn.auth, { op: 'createSession', timeout }, { type: 'connect', conn, readOnly: req.readOnly });
      return;
    }
    // SESSION-3: a reconnect keeps its session only with the right password.
    const id = req.sessionId;
    if (!this.committed.sessions.has(id) || !passwordMatches(id, req.passwd ?? new Uint8Array(0)) || !this.clock.deadlines.has(id)) {
      conn.session = id;
      conn.write(encodeConnectResponse({ protocolVersion: 0, timeOut: 0, sessionId: 0n, passwd: new Uint8Array(16), ...ro(req.readOnly) }));
      conn.end();
      return;
    }
    this.bySession.get(id)?.end(); // the session moves to this connection
    this.finishConnect(conn, id, timeout, req.readOnly);
  }

  private finishConnect(conn: Connection, id: bigint, timeout: number, readOnly: boolean | undefined): void {
    conn.session = id;
    conn.timeout = timeout;
    conn.established = true;
    this.bySession.set(id, conn);
    this.clock = touch(this.clock, id, timeout, Date.now());
    conn.write(encodeConnectResponse({ protocolVersion: 0, timeOut: timeout, sessionId: id, passwd: sessionPassword(id), ...ro(readOnly) }));
    conn.lastZxid = BigInt(this.lastZxid);
    this.logger.debug('session established', { session: id, timeout, remote: conn.remote });
  }

  private onPacket(conn: Connection, frame: Uint8Array): void {
    if (!conn.established) return this.drop(conn, 'request before the session was established');
    const d = decodeRequest(frame);
    if (!d.ok) return this.drop(conn, d.header ? `opcode ${d.header.type}: ${d.error}` : d.error);
    const { xid, request } = d.value;
    const session = conn.session!;
    this.clock = touch(this.clock, session, conn.timeout, Date.now());
    conn.lastOp = request.op;
    if (request.op === 'unknown') {
      conn.push({ xid, reply: encodeError(xid, -1n, Code.Unimplemented), close: true });
      return;
    }
    if (request.op === 'auth') {
      // Answered at once, outside the request order, as ZooKeeper does; a failure closes the connection.
      const ids = authenticate(request.scheme, Buffer.from(request.auth ?? []).toString('utf8'), this.config.superDigest);
      if (typeof ids === 'number') {
        conn.write(encodeError(xid, 0n, ids));
        conn.end();
        return;
      }
      for (const id of ids) if (!conn.auth.some((a) => a.scheme === id.scheme && a.id === id.id)) conn.auth.push(id);
      conn.write(encodeReply(xid, 0n, 'auth', {}));
      return;
    }
    const write = writeOf(request);
    if (write === 'badArguments') {
      conn.push({ xid, reply: encodeError(xid, BigInt(this.lastZxid), Code.BadArguments) });
      return;
    }
    if (write) {
      const slot = conn.push({ xid });
      if (!this.propose(session, [...conn.auth], write, { type: 'reply', conn, slot, start: Date.now() })) conn.end();
      return;
    }
    conn.push({ xid, run: () => serveRead(this.reads, conn, xid, request) });
  }

  // ---------------------------------------------------------------- what the four-letter words show

  get tree(): Tree {
    return this.committed;
  }
  get connections(): readonly Connection[] {
    return [...this.conns];
  }
  get watchTable(): WatchTable<Connection> {
    return this.watches;
  }
  get outstanding(): number {
    return this.pending.size;
  }
  get sessionDeadlines(): ReadonlyMap<bigint, number> {
    return this.clock.deadlines;
  }
}

const ro = (readOnly: boolean | undefined): { readOnly?: boolean } => (readOnly === undefined ? {} : { readOnly: false });
