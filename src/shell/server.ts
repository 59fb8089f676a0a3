// A zabkit server: the client port, sessions and the data tree around one ZAB node, and (in an
// ensemble) the peer links. A single server is an ensemble of one: it elects itself through the
// same reducers. Every write is a ZAB proposal prepared by the leader: a learner forwards its
// clients' writes (REQUEST), and answers them when the txn, tagged with its origin, commits here.
// Reads are served from this server's committed tree. The leader owns session expiry; learners
// report their sessions' activity (TOUCH).
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import {
  apply,
  authenticate,
  Code,
  dropWatcher,
  emptyTree,
  emptyWatches,
  errorTxn,
  prepare,
  readableBy,
  sessionPassword,
  trigger,
  type Applied,
  type Notification,
  type Tree,
  type TreeConfig,
  type WatchTable,
  type WriteOp,
} from '../tree/index.ts';
import { nextZxid } from '../zab/broadcast.ts';
import type { Leading, Sid } from '../zab/types.ts';
import { formatZxid } from '../zab/zxid.ts';
import { isZabMessage, type PeerMessage, type ShellMessage } from '../wire/peer.ts';
import { initialServer, stepServer, type ConnectAsk, type Origin, type Role, type ServerEffect, type ServerInput, type ServerState, type WriteAsk } from '../server/index.ts';
import { decodeConnectRequest, decodeRequest, encodeConnectResponse, encodeError, encodeNotification, encodeReply } from '../wire/protocol.ts';
import type { ServerConfig } from './config.ts';
import { Connection, type Slot } from './connection.ts';
import { fourLetterWord, isFourLetterWord, type ServerView } from './four-letter.ts';
import type { Logger } from './logger.ts';
import { configOf, configText, reconfigure, type Membership, type ReconfigAsk } from './membership.ts';
import { Peers } from './peers.ts';
import { TraceWriter } from './trace-writer.ts';
import { DigestMd5Server, jaasUsers } from './sasl.ts';
import { serveRead, type ReadContext } from './reads.ts';
import { wireStat, writeOf, writeReply } from './requests.ts';
import { Storage } from './storage.ts';
import { durableOf, ZabNode, type Entry } from './zab-node.ts';

/** Watcher state SyncConnected, the only one a server sends with an event. */
const SYNC_CONNECTED = 3;

type Pending =
  | { readonly type: 'reply'; readonly conn: Connection; readonly slot: Slot; readonly start: number; readonly reconfig?: boolean }
  | { readonly type: 'connect'; readonly conn: Connection };

/** A learner's sync: answered once this server has applied what the leader had committed. */
interface SyncWait {
  readonly conn: Connection;
  readonly slot: Slot;
  readonly path: string;
  zxid?: number;
}

/** A client's reconfig on its way to the leader, which alone can build the new configuration. */
interface ReconfigSubmission {
  readonly ask: ReconfigAsk;
  readonly fromConfig: number;
}

export class Server implements ServerView {
  readonly config: ServerConfig;
  private readonly logger: Logger;
  private node!: ZabNode;
  private storage!: Storage;
  private listener: NetServer | null = null;
  private committed: Tree = emptyTree();
  /** The leader's tree with every proposal applied: what prepare checks the next write against. */
  private speculative: Tree | null = null;
  /**
   * The leader's proposals in flight: each txn with the speculative tree it was applied to and
   * what that gave. apply is pure, so when the txn commits onto that very tree (the usual case)
   * its outcome is reused rather than computed a second time.
   */
  private speculated: { readonly zxid: number; readonly before: Tree; readonly applied: Applied }[] = [];
  private watches: WatchTable<Connection> = emptyWatches();
  private readonly conns = new Set<Connection>();
  /** Connections by the reducer's number for them. */
  private readonly byId = new Map<number, Connection>();
  /** Requests of this server's clients awaiting their txn, by Origin id. */
  private readonly pending = new Map<number, Pending>();
  private nextRequest = 1;
  private readonly syncs = new Map<number, SyncWait>();
  private peers: Peers | null = null;
  private role: Role = null;
  /** The server's protocol decisions (src/server): sessions, owners, expiry, reaping. */
  private srv: ServerState;
  /** SERVER-7, SERVER-8, SERVER-15: the half-tick timer while serving. */
  private tickTimer: NodeJS.Timeout | null = null;
  /** The members and config version /zookeeper/config says (zoo.cfg's until a reconfig commits). */
  private membership: Membership;
  private purgeTimer: NodeJS.Timeout | null = null;
  private readonly treeConfig: TreeConfig;
  private readonly saslUsers: ReadonlyMap<string, string>;
  readonly stats = { received: 0, sent: 0, latencyMin: Infinity, latencyMax: 0, latencyTotal: 0, latencyCount: 0 };
  /** Txns after which this tree's digest was not the leader's (TREE-27; mntr's zk_digest_mismatches_count). */
  digestMismatches = 0;
  lastZxid = 0;
  port = 0;
  private stopping: Promise<void> | null = null;
  /** Reads see the committed tree as it is when their turn comes. */
  private readonly reads: ReadContext;

  constructor(config: ServerConfig, logger: Logger) {
    this.config = config;
    this.logger = logger;
    this.srv = initialServer(
      {
        sid: config.myid,
        tickMs: config.tickTime,
        minSessionTimeout: config.minSessionTimeout,
        maxSessionTimeout: config.maxSessionTimeout,
        reaping: config.reaping,
      },
      Date.now(),
    );
    this.membership = { members: config.servers, version: 0 };
    this.treeConfig = { extendedTypes: config.extendedTypes, enforceQuota: config.enforceQuota /* SERVER-16 */, maxDataBytes: config.maxBuffer, saslAcl: config.saslAcl };
    this.saslUsers = config.jaasFile ? jaasUsers(config.jaasFile) : new Map();
    const server = this;
    this.reads = {
      reconfigEnabled: config.reconfigEnabled,
      existsChecksAcl: config.compatPatch >= 4,
      configText: () => (server.peers ? Buffer.from(configText(server.membership)) : null),
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
        install: (tree, zxid) => this.install(tree, zxid),
        committedTree: () => this.committed,
        send: (to, msg, mid) => this.peers?.send(to, msg, mid),
        disconnect: (peer) => this.peers?.disconnect(peer),
        stepped: () => this.stepped(),
      },
      this.logger,
    );
    this.node.onFatal = () => void this.stop();
    if (c.trace) this.node.tracer = new TraceWriter(c.trace, c.myid);
    this.node.afterSnapshot = (zxid) => {
      this.logger.info('snapshot written', { zxid: formatZxid(zxid) });
      if (c.purgeInterval > 0) this.purge();
    };
    if (c.servers.length > 1) {
      this.peers = new Peers(c.myid, c.servers, {
        receive: (from, msg, mid) => this.onPeerMessage(from, msg, mid),
        lost: (peer) => this.node.input({ type: 'disconnected', peer }),
      }, this.logger);
      await this.peers.listen();
    }
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
    if (c.reconfigEnabled) this.logger.info('reconfigEnabled=true: observers may join and leave by reconfig; the voting members are fixed');
    return this.port;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.info('stopping');
      if (this.tickTimer) clearInterval(this.tickTimer);
      if (this.purgeTimer) clearInterval(this.purgeTimer);
      await new Promise<void>((resolve) => {
        if (!this.listener) return resolve();
        this.listener.close(() => resolve());
        for (const c of this.conns) c.end();
      });
      await this.peers?.close();
      await this.node?.stop();
      await this.storage?.close();
      this.logger.info('stopped', { lastZxid: formatZxid(this.lastZxid) });
    })();
    return this.stopping;
  }

  private purge(): void {
    const r = this.storage.purge(this.config.snapRetainCount);
    if (r.snapshots || r.logs) this.logger.info('purged', r);
  }

  // ---------------------------------------------------------------- ZAB hooks

  /** The role ZAB's state gives this server: a leader or learner in broadcast serves clients. */
  private roleNow(): Role {
    const s = this.node.state;
    if (this.stopping !== null) return null;
    if (s.phase === 'looking') return this.config.readOnlyMode && this.peers ? 'readonly' : null;
    if (s.phase === 'leading') return s.stage === 'broadcast' ? 'leader' : null;
    return s.stage === 'broadcast' ? 'learner' : null;
  }

  get serving(): boolean {
    return this.role !== null;
  }

  get mode(): string {
    const s = this.node.state;
    if (this.config.servers.length <= 1) return 'standalone';
    if (this.role === 'readonly') return 'read-only';
    return s.phase === 'leading' ? 'leader' : s.phase === 'following' ? 'follower' : s.phase === 'observing' ? 'observer' : 'looking';
  }

  get epoch(): number {
    return this.node.state.currentEpoch;
  }

  get historyEntries(): number {
    return this.node.state.history.length;
  }

  get followers(): { connected: number; synced: number } | null {
    const s = this.node.state;
    if (s.phase !== 'leading') return null;
    const voters = Object.values(s.learners).filter((l) => !l.observer);
    return { connected: voters.length, synced: voters.filter((l) => l.stage === 'uptodate').length };
  }

  get leaderId(): Sid | null {
    const s = this.node.state;
    return s.phase === 'leading' ? this.config.myid : s.phase === 'looking' ? null : s.leader;
  }

  /** After every step: start serving as the role ZAB gives, or stop when it is gone. */
  private stepped(): void {
    const role = this.roleNow();
    if (role === this.role) return;
    if (this.role !== null) this.stopServing();
    this.role = role;
    this.run({ type: 'role', role, leader: role === 'leader' || role === 'learner' ? this.leaderId : null, now: Date.now(), tree: this.committed });
    if (role === null) return;
    if (role === 'readonly') {
      this.logger.info('serving read-only sessions', { lastZxid: formatZxid(this.lastZxid) });
      return;
    }
    if (role === 'leader') this.speculative = this.committed;
    const tick = () => this.run({ type: 'tick', now: Date.now(), tree: this.committed });
    // Every half tick (SERVER-7), or as often as reaping asks (SERVER-15).
    this.tickTimer = setInterval(tick, Math.max(1, Math.min(Math.floor(this.config.tickTime / 2), this.config.reaping.checkIntervalMs)));
    this.logger.info('serving', { mode: this.mode, leader: this.leaderId, epoch: this.node.state.currentEpoch, lastZxid: formatZxid(this.lastZxid) });
  }

  private stopServing(): void {
    this.logger.info('stopped serving', { was: this.role, mode: this.mode });
    this.speculative = null;
    this.speculated = [];
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = null;
    // Requests in flight may never be answered here: their clients reconnect and find out.
    this.pending.clear();
    this.syncs.clear();
    for (const c of this.conns) c.end();
  }

  /** PERSIST-11: the committed tree becomes a snapshot (a SNAP from the leader, or the one a start recovered). */
  private install(tree: Tree, zxid: number): void {
    this.lastZxid = zxid;
    this.committed = tree;
    this.refreshMembership();
  }

  /** BCAST-5: a committed entry reaches the tree; watches fire before the write's reply goes out. */
  private deliver(entry: Entry, zxid: number): void {
    this.lastZxid = zxid;
    if (entry.kind === 'base') throw new Error(`a snapshot at ${formatZxid(zxid)} is installed, not delivered`);
    const txn = entry.txn;
    const applied = this.speculatedOutcome(zxid) ?? apply(this.committed, txn);
    if (txn.digest !== undefined && txn.digest !== applied.tree.digest) return this.diverged(zxid, txn.digest, applied.tree.digest); // TREE-27
    this.committed = applied.tree;
    if (applied.events.length) {
      const fired = trigger(this.watches, applied.events, readableBy((c: Connection) => c.auth));
      this.watches = fired.table;
      this.notify(fired.notifications);
    }
    const p = entry.origin?.server === this.config.myid ? this.pending.get(entry.origin.id) : undefined;
    if (p) this.pending.delete(entry.origin!.id);
    const op = txn.op;
    if (op.type === 'createSession') {
      const conn = p?.type === 'connect' && !p.conn.closed ? p.conn.id : undefined;
      this.run({ type: 'session-created', session: txn.session, timeout: op.timeout, conn, now: Date.now() });
    } else if (op.type === 'closeSession') {
      // SERVER-9: the session's watches go as its close applies, as ZooKeeper's (a later request
      // of another session must not find them, whenever the socket's close event comes).
      for (const c of this.conns) if (c.session === txn.session) this.watches = dropWatcher(this.watches, c);
    }
    if (op.type === 'setData' && op.path === '/zookeeper/config') this.refreshMembership();
    if (p?.type === 'reply' && applied.result.type === 'error' && applied.result.err === Code.SessionMoved) {
      // SERVER-6: a stale write is not answered; its connection closes, as ZooKeeper's does
      // (ZOOKEEPER-710), and the client's reconnect claims the session where it now is.
      p.slot.reply = null;
      p.slot.close = true;
      p.conn.flush();
    } else if (p?.type === 'reply') {
      p.slot.reply =
        p.reconfig && op.type === 'setData' && applied.result.type === 'setData'
          ? encodeReply(p.slot.xid, BigInt(zxid), 'reconfig', { data: op.data, stat: wireStat(applied.result.stat) })
          : writeReply(p.slot.xid, BigInt(zxid), applied.result);
      if (op.type === 'closeSession') p.slot.close = true;
      this.noteLatency(p.start);
      p.conn.lastZxid = BigInt(zxid);
      p.conn.flush();
    }
    if (op.type === 'closeSession') this.run({ type: 'session-closed', session: txn.session });
    if (this.syncs.size) this.answerSyncs();
  }

  /**
   * TREE-27: after `zxid` this tree is not the one the leader had (a bug, a damaged disk or
   * memory). Serving it would hand clients data no other replica has, so the process exits 1 at
   * once, as a crash would: the log holds only what was durable, and a restart rebuilds the tree
   * from the snapshot and the log, checking every digest again on the way. Not a graceful stop:
   * ZAB would go on with the rest of its step meanwhile, and the snapshot a stop waits for
   * (PERSIST-10) would store this tree under a later zxid.
   */
  private diverged(zxid: number, expected: number, actual: number): never {
    this.digestMismatches++;
    const hex32 = (d: number) => `0x${d.toString(16).padStart(8, '0')}`;
    this.logger.error('digest mismatch: this data tree diverged from the leader\'s; exiting rather than serve it', {
      zxid: formatZxid(zxid),
      expected: hex32(expected),
      actual: hex32(actual),
    });
    process.exit(1);
  }

  /** The outcome of the leader's own speculative apply of `zxid`, if it was made on the committed tree. */
  private speculatedOutcome(zxid: number): Applied | undefined {
    const q = this.speculated;
    while (q.length > 0 && q[0]!.zxid < zxid) q.shift();
    const head = q[0];
    if (head?.zxid !== zxid) return undefined;
    q.shift();
    return head.before === this.committed ? head.applied : undefined;
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

  /**
   * A write of one of this server's clients: the leader proposes it, a learner forwards it to the
   * leader. Its txn comes back through `deliver` tagged with its origin. False if not serving.
   */
  private submit(session: bigint, auth: Connection['auth'], write: WriteOp | ReconfigSubmission, pending: Pending): boolean {
    const leader = this.leaderId;
    if (this.role === null || this.role === 'readonly' || leader === null) return false;
    const origin = { server: this.config.myid, id: this.nextRequest++ };
    this.pending.set(origin.id, pending);
    if ('ask' in write) {
      if (this.role === 'leader') this.proposeReconfig(session, auth, write, origin);
      else this.peers!.send(leader, { type: 'RECONFIG', origin, session, auth, ...write.ask, fromConfig: write.fromConfig });
    } else if (this.role === 'leader') this.run({ type: 'write', ask: { session, auth, write, via: this.config.myid, origin } });
    else this.peers!.send(leader, { type: 'REQUEST', origin, session, auth, write });
    return true;
  }

  /**
   * SERVER-14: the leader turns a reconfig into the new configuration text (TREE-26), checked as ZooKeeper
   * does: the version asked from, the server strings; only observers may join or leave here.
   * It reads the configuration from its speculative tree, so reconfigs in flight build on each other.
   */
  private proposeReconfig(session: bigint, auth: readonly Connection['auth'][number][], r: ReconfigSubmission, origin: Origin): void {
    if (this.role !== 'leader' || this.speculative === null) return;
    const now = configOf(this.speculative) ?? this.membership;
    const next = r.fromConfig !== -1 && r.fromConfig !== now.version ? Code.BadVersion : reconfigure(now.members, r.ask);
    const write = typeof next === 'number' ? next : { op: 'reconfig' as const, data: Buffer.from(configText({ members: next, version: nextZxid(this.node.state as Leading<Entry>) })) }; // ZooKeeper's config version is the reconfig's zxid
    this.run({ type: 'write', ask: { session, auth, write, via: origin.server, origin } });
  }

  /** BCAST-1, SERVER-10: the leader prepares a write against its speculative tree and proposes it (a code: refused). */
  private propose({ session, auth, write, origin }: WriteAsk): void {
    if (this.role !== 'leader' || this.speculative === null) return;
    const zxid = nextZxid(this.node.state as Leading<Entry>);
    const header = { session, auth, zxid, time: Date.now() };
    const refused = typeof write === 'number' ? write : undefined;
    const prepared = refused !== undefined ? ({ ok: false, err: refused } as const) : prepare(this.speculative, { ...header, write: write as WriteOp }, this.treeConfig);
    const txn = prepared.ok ? prepared.txn : errorTxn(header, prepared);
    if (prepared.ok) for (const w of prepared.warnings) this.logger.warn('quota', { warning: w });
    const applied = (prepared.ok ? prepared.applied : undefined) ?? apply(this.speculative, txn);
    this.speculated.push({ zxid, before: this.speculative, applied });
    this.speculative = applied.tree;
    const carried = { ...txn, digest: applied.tree.digest }; // TREE-27: every replica compares its own after applying it
    this.node.input({ type: 'propose', value: origin ? { kind: 'txn', txn: carried, origin } : { kind: 'txn', txn: carried } });
    const proposed = this.node.state.history[this.node.state.history.length - 1];
    if (proposed?.zxid !== zxid) throw new Error(`ZAB gave the proposal ${proposed?.zxid}, prepared for ${zxid}`);
  }

  // ---------------------------------------------------------------- peers

  private onPeerMessage(from: Sid, msg: PeerMessage, mid?: string): void {
    if (isZabMessage(msg)) {
      if (msg.type === 'DIFF' || msg.type === 'TRUNC' || msg.type === 'SNAP') {
        this.logger.info('sync from leader', { leader: from, type: msg.type, txns: msg.txns.length, ...(msg.type === 'TRUNC' ? { to: formatZxid(msg.zxid) } : {}) });
      }
      this.node.input({ type: 'receive', from, msg }, mid);
      return;
    }
    this.onShellMessage(from, msg);
  }

  /** The shell's own messages: requests and syncs forwarded by learners, session reports. */
  private onShellMessage(from: Sid, msg: ShellMessage): void {
    switch (msg.type) {
      case 'REQUEST':
        return this.run({ type: 'write', ask: { session: msg.session, auth: msg.auth, write: msg.write, via: from, origin: msg.origin } });
      case 'SYNC':
        // SERVER-11: everything committed so far has had its COMMIT sent to `from` already; name the last.
        if (this.role === 'leader') this.peers!.send(from, { type: 'SYNCED', id: msg.id, zxid: this.lastZxid });
        return;
      case 'SYNCED': {
        const w = this.syncs.get(msg.id);
        if (w) w.zxid = msg.zxid;
        return this.answerSyncs();
      }
      case 'TOUCH':
        return this.run({ type: 'touched', sessions: msg.sessions, now: Date.now(), tree: this.committed });
      case 'REVALIDATE':
        return this.run({ type: 'claimed', from, session: msg.session, tree: this.committed });
      case 'RECONFIG':
        return this.proposeReconfig(msg.session, msg.auth, { ask: { joining: msg.joining, leaving: msg.leaving, newMembers: msg.newMembers }, fromConfig: msg.fromConfig }, msg.origin);
      case 'HELLO':
        return; // taken by the peer link
    }
  }

  /** SERVER-11: syncs whose leader zxid this server has now applied get their reply, in request order. */
  private answerSyncs(): void {
    for (const [id, w] of this.syncs) {
      if (w.zxid === undefined || w.zxid > this.lastZxid) continue;
      this.syncs.delete(id);
      w.slot.reply = encodeReply(w.slot.xid, BigInt(this.lastZxid), 'sync', { path: w.path });
      w.conn.flush();
    }
  }

  /** Fault hook for tests: cut this server off from its peers (closing the links, or `silent`ly dropping what crosses them), or heal it. */
  toggleIsolation(silent = false): void {
    if (!this.peers) return;
    this.isolated = !this.isolated;
    this.peers.isolate(this.isolated, silent);
  }
  private isolated = false;

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
    this.byId.set(conn.id, conn);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', (e) => this.logger.debug('socket error', { conn: conn.id, error: e.message }));
    socket.on('close', () => this.onClose(conn));
  }

  private onClose(conn: Connection): void {
    conn.closed = true;
    if (!this.conns.delete(conn)) return;
    this.byId.delete(conn.id);
    this.stats.sent += conn.sent;
    this.watches = dropWatcher(this.watches, conn);
    this.run({ type: 'closed', conn: conn.id });
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
    conn.readOnlyAsked = req.readOnly;
    const ask: ConnectAsk = { sessionId: req.sessionId, passwd: req.passwd ?? null, timeOut: req.timeOut, lastZxidSeen: req.lastZxidSeen, readOnly: req.readOnly };
    this.run({ type: 'connect', conn: conn.id, ask, now: Date.now(), tree: this.committed, lastZxid: this.lastZxid });
  }

  // ---------------------------------------------------------------- the reducer's effects

  /** Step the server's reducer and carry out what it decided, in order. */
  private run(input: ServerInput): void {
    const r = stepServer(this.srv, input);
    this.srv = r.state;
    for (const e of r.effects) this.effect(e);
  }

  private effect(e: ServerEffect): void {
    if (e.type === 'send') return void this.peers?.send(e.to, e.msg);
    if (e.type === 'propose') return this.propose(e.ask);
    if (e.type === 'log') return this.logger.info(e.msg, e.fields);
    const conn = this.byId.get(e.conn);
    if (!conn) return;
    switch (e.type) {
      case 'refuse': // SERVER-2
        this.logger.info(e.why, { remote: conn.remote, ...e.fields });
        return conn.end();
      case 'reject': // SERVER-5
        conn.session = -1n;
        conn.write(encodeConnectResponse({ protocolVersion: 0, timeOut: 0, sessionId: 0n, passwd: new Uint8Array(16), ...ro(conn.readOnlyAsked) }));
        return conn.end();
      case 'accept':
        return this.finishConnect(conn, e.session, e.timeout);
      case 'create-session': // SERVER-4: answered when the createSession is delivered here
        conn.session = e.session;
        if (!this.submit(e.session, [...conn.auth], { op: 'createSession', timeout: e.timeout }, { type: 'connect', conn })) conn.end();
        return;
      case 'close':
        return conn.endAfterReplies();
    }
  }

  private finishConnect(conn: Connection, id: bigint, timeout: number): void {
    conn.session = id;
    conn.timeout = timeout;
    conn.established = true;
    conn.write(encodeConnectResponse({ protocolVersion: 0, timeOut: timeout, sessionId: id, passwd: sessionPassword(id), ...ro(conn.readOnlyAsked, this.role === 'readonly') }));
    conn.lastZxid = BigInt(this.lastZxid);
    this.logger.debug('session established', { session: id, timeout, remote: conn.remote });
  }

  private onPacket(conn: Connection, frame: Uint8Array): void {
    if (!conn.established) return this.drop(conn, 'request before the session was established');
    const d = decodeRequest(frame);
    if (!d.ok) return this.drop(conn, d.header ? `opcode ${d.header.type}: ${d.error}` : d.error);
    const { xid, request } = d.value;
    const session = conn.session!;
    this.run({ type: 'request', conn: conn.id, now: Date.now() }); // SERVER-6, SERVER-7
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
    if (request.op === 'sasl') return this.onSasl(conn, xid, request.token);
    if (request.op === 'reconfig' && this.config.reconfigEnabled && this.peers) {
      // jute strings have no null: an absent list arrives empty.
      const ask = { joining: request.joiningServers || null, leaving: request.leavingServers || null, newMembers: request.newMembers || null };
      const slot = conn.push({ xid });
      const pending: Pending = { type: 'reply', conn, slot, start: Date.now(), reconfig: true };
      if (!this.submit(session, [...conn.auth], { ask, fromConfig: Number(request.curConfigId) }, pending)) conn.end();
      return;
    }
    const write = writeOf(request);
    if (write === 'badArguments') {
      conn.push({ xid, reply: encodeError(xid, BigInt(this.lastZxid), Code.BadArguments) });
      return;
    }
    if (this.role === 'readonly' && (write || request.op === 'sync')) {
      // SERVER-13
      // As ZooKeeper's read-only server: a read-only session's close just ends it; other writes are refused.
      if (write && write.op === 'closeSession') conn.push({ xid, reply: encodeReply(xid, BigInt(this.lastZxid), 'closeSession', {}), close: true });
      else conn.push({ xid, reply: encodeError(xid, BigInt(this.lastZxid), Code.NotReadOnly) });
      return;
    }
    if (write) {
      const slot = conn.push({ xid });
      if (!this.submit(session, [...conn.auth], write, { type: 'reply', conn, slot, start: Date.now() })) conn.end();
      return;
    }
    if (request.op === 'sync' && this.role === 'learner') {
      // The reply waits until this server has applied what the leader had committed when it saw the sync.
      const id = this.nextRequest++;
      this.syncs.set(id, { conn, slot: conn.push({ xid }), path: request.path });
      this.peers!.send(this.leaderId!, { type: 'SYNC', id });
      return;
    }
    conn.push({ xid, run: () => serveRead(this.reads, conn, xid, request) });
  }

  /** A committed reconfig (or a snapshot holding one): adopt its members; links to those who left are dropped. */
  private refreshMembership(): void {
    const next = configOf(this.committed);
    if (!next || next.version === this.membership.version) return;
    const gone = this.membership.members.filter((m) => !next.members.some((n) => n.id === m.id)).map((m) => m.id);
    this.membership = next;
    this.peers?.setMembers(next.members);
    this.logger.info('reconfigured', { version: next.version.toString(16), members: next.members.map((m) => m.id), left: gone });
    for (const peer of gone) if (peer !== this.config.myid) this.node.input({ type: 'disconnected', peer });
  }

  /** SASL DIGEST-MD5 (sasl.ts): each token answered in order; a failure answers AuthFailed and closes, as ZooKeeper. */
  private onSasl(conn: Connection, xid: number, token: Uint8Array | null): void {
    conn.sasl ??= new DigestMd5Server(this.saslUsers);
    const step = conn.sasl.step(token ?? new Uint8Array(0));
    if (step.type === 'failure') {
      this.logger.info('SASL authentication failed', { remote: conn.remote, why: step.why });
      conn.push({ xid, reply: encodeError(xid, BigInt(this.lastZxid), Code.AuthFailed), close: true });
      return;
    }
    if (step.type === 'success') {
      if (!conn.auth.some((a) => a.scheme === 'sasl' && a.id === step.user)) conn.auth.push({ scheme: 'sasl', id: step.user });
      this.logger.debug('SASL authenticated', { remote: conn.remote, user: step.user });
    }
    conn.push({ xid, reply: encodeReply(xid, BigInt(this.lastZxid), 'sasl', { token: step.token }) });
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
    return this.srv.clock.deadlines;
  }
}

/** The connect response's readOnly flag, present only if the client sent one. */
function ro(readOnly: boolean | undefined, readOnlyServer = false): { readOnly?: boolean } {
  return readOnly === undefined ? {} : { readOnly: readOnlyServer };
}
