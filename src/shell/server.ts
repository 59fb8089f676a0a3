// A zabkit server: the I/O around two reducers. ZAB's (src/zab, run by ZabNode with the disk)
// orders txns among the servers; the server's (src/server) decides everything above it: sessions,
// owners, expiry, where a write goes, the leader's proposals and the replies. This file wires them
// to the timers, the peer links and the client port (client-port.ts), and carries out their effects.
// A single server is an ensemble of one: it elects itself through the same reducers.
import type { Deviation as ZabDeviation, ServerState as ZabState, Sid } from '../zab/types.ts';
import { formatZxid } from '../zab/zxid.ts';
import type { Tree, WatchTable, WriteOp } from '../tree/index.ts';
import { initialServer, stepServer, zabView, type ConnId, type Entry, type Role, type ServerDeviation, type ServerEffect, type ServerInput, type ServerState, type ZabView } from '../server/index.ts';
import { isZabMessage, type PeerMessage, type ShellMessage } from '../wire/peer.ts';
import { AdminServer } from './admin-server.ts';
import { ClientPort } from './client-port.ts';
import type { ServerConfig } from './config.ts';
import type { Connection } from './connection.ts';
import { nodeEnv, type Env, type TimerHandle } from './env.ts';
import { resetConnection, type ServerView } from './four-letter.ts';
import type { Logger } from './logger.ts';
import { MetricsEndpoint } from './metrics-endpoint.ts';
import { Metrics } from './metrics.ts';
import { ServerWatch } from './server-watch.ts';
import { Peers } from './peers.ts';
import { Storage } from './storage.ts';
import { serverTls } from './tls-options.ts';
import { TraceWriter } from './trace-writer.ts';
import { durableOf, ZabNode, type NodeScript } from './zab-node.ts';

export class Server implements ServerView {
  readonly config: ServerConfig;
  readonly logger: Logger;
  private node!: ZabNode;
  private storage!: Storage;
  private peers: Peers | null = null;
  private readonly port_: ClientPort;
  /** The server's reducer state (src/server). */
  private srv: ServerState;
  /** SERVER-7, SERVER-8, SERVER-15: the half-tick timer while serving. */
  private tickTimer: TimerHandle | null = null;
  private purgeTimer: TimerHandle | null = null;
  /** Txns after which this tree's digest was not the leader's (TREE-27; mntr's zk_digest_mismatches_count). */
  digestMismatches = 0;
  /** Counters and summaries for mntr, the AdminServer and Prometheus (metrics.ts). */
  readonly metrics: Metrics;
  /** Where the metrics are recorded from ZAB's and the disk's events (server-watch.ts). */
  private readonly watch: ServerWatch;
  private admin: AdminServer | null = null;
  private metricsEndpoint: MetricsEndpoint | null = null;
  /** ZooKeeper's ZooTrace mask (gtmk, stmk): its default. */
  traceMask = 306n;
  port = 0;
  private stopping: Promise<void> | null = null;
  /** The ZAB view the reducer last read (SERVER-1). */
  private lastView: ZabView | null = null;
  private isolated = false;
  /** The simulator's scripted runs (`simulate --schedule`): the ZAB node steps what the script says, when it says. */
  script?: NodeScript;
  /** The simulator: sees every ZAB step (ZabNode.onStep). */
  onZabStep?: ZabNode['onStep'];

  constructor(
    config: ServerConfig,
    logger: Logger,
    /** Clock, network, disk and exit: node's own, or the simulator's (sim/). */
    readonly env: Env = nodeEnv,
    /** A deliberate deviation in either reducer: the simulator's mutants (sim/mutants.ts), never set otherwise. */
    private readonly mutant: { readonly zab?: ZabDeviation; readonly server?: ServerDeviation; readonly unsyncedRecovery?: boolean; readonly halfLinks?: boolean } = {},
  ) {
    this.config = config;
    this.logger = logger;
    this.metrics = new Metrics(() => env.clock.now(), config.metrics !== undefined);
    this.watch = new ServerWatch(this.metrics, () => env.clock.now(), config.myid);
    this.srv = initialServer(
      {
        sid: config.myid,
        tickMs: config.tickTime,
        minSessionTimeout: config.minSessionTimeout,
        maxSessionTimeout: config.maxSessionTimeout,
        reaping: config.reaping,
        tree: { extendedTypes: config.extendedTypes, enforceQuota: config.enforceQuota /* SERVER-16 */, maxDataBytes: config.maxBuffer, saslAcl: config.saslAcl, x509Acl: config.x509Acl === true },
        members: config.servers,
        readOnlyMode: config.readOnlyMode && config.servers.length > 1,
        ...(config.superDigest !== undefined ? { superDigest: config.superDigest } : {}),
        existsChecksAcl: config.compatPatch >= 4,
        reconfigEnabled: config.reconfigEnabled,
        ...(mutant.server ? { deviation: mutant.server } : {}),
      },
      env.clock.now(),
    );
    const server = this;
    this.port_ = new ClientPort({
      config,
      logger,
      env,
      view: this,
      get role() {
        return server.srv.role;
      },
      get lastZxid() {
        return server.srv.lastZxid;
      },
      run: (input) => this.run(input),
    });
  }

  // ---------------------------------------------------------------- life cycle

  /** Recover from disk, start ZAB, listen. Resolves with the client port once listening. */
  async start(): Promise<number> {
    const c = this.config;
    const tls = serverTls(c, this.env, this.logger); // a bad TLS setting stops the start here, its key named
    this.port_.tls = tls.client ?? null;
    const opening = performance.now();
    const { storage, recovered } = Storage.open(c.dataDir, c.dataLogDir, this.logger, this.env.fs, this.env.clock.soon, this.mutant.unsyncedRecovery === true);
    this.storage = storage;
    this.watch.recovered(performance.now() - opening, recovered.txns.length, storage);
    const voters = c.servers.filter((s) => !s.observer).map((s) => s.id);
    this.node = new ZabNode(
      {
        sid: c.myid,
        voters: voters.length ? voters : [c.myid],
        observers: c.servers.filter((s) => s.observer).map((s) => s.id),
        snapCount: c.snapCount,
        // ELECT-7's finalize window waits for a better vote; a server with no others (standalone)
        // can receive none, so its window closes at once (Apache's standalone holds no election).
        timing: { tickMs: c.tickTime, initLimit: c.initLimit, syncLimit: c.syncLimit, finalizeMs: c.servers.length <= 1 ? 0 : 200, notifyMs: 200 },
        ...(this.mutant.zab ? { deviation: this.mutant.zab } : {}),
      },
      storage,
      {
        deliver: (entry, zxid) => this.deliver(entry, zxid),
        install: (tree, zxid) => this.install(tree, zxid),
        committedTree: () => this.srv.tree,
        send: (to, msg, mid) => {
          this.watch.sent(msg);
          this.peers?.send(to, msg, mid);
        },
        disconnect: (peer) => this.peers?.disconnect(peer),
        stepped: () => this.stepped(),
      },
      this.logger,
      this.env,
    );
    this.node.onFatal = () => void this.stop();
    if (this.onZabStep) this.node.onStep = this.onZabStep;
    if (this.script) {
      this.node.script = this.script;
      this.script.attached(this.node);
    }
    if (c.trace) this.node.tracer = new TraceWriter(c.trace, c.myid, this.env.clock.now().toString(36));
    this.node.afterSnapshot = (zxid) => {
      this.logger.info('snapshot written', { zxid: formatZxid(zxid) });
      if (c.purgeInterval > 0) this.purge();
    };
    if (c.servers.length > 1) {
      this.peers = new Peers(c.myid, c.servers, { receive: (from, msg, mid) => this.onPeerMessage(from, msg, mid), lost: (peer) => this.node.input({ type: 'disconnected', peer }) }, this.logger, this.env, this.mutant.halfLinks === true, tls.quorum);
      await this.peers.listen();
    }
    this.node.start(durableOf(recovered));
    if (c.purgeInterval > 0) this.purgeTimer = this.env.clock.setInterval(() => this.purge(), c.purgeInterval * 3600_000, true);
    this.port = await this.port_.listen();
    if (c.secureClient?.plainPort !== false) this.logger.info('listening', { address: c.clientPortAddress, port: this.port, myid: c.myid });
    if (this.port_.securePort !== null) this.logger.info('listening for TLS clients', { address: c.secureClient!.address, port: this.port_.securePort, clientAuth: c.secureClient!.tls.clientAuth });
    if (c.admin?.enabled) await (this.admin = new AdminServer(this, c.admin, this.logger)).start();
    if (c.metrics) await (this.metricsEndpoint = new MetricsEndpoint(this, c.metrics, this.logger)).start();
    if (c.reconfigEnabled) this.logger.info('reconfigEnabled=true: observers may join and leave by reconfig; the voting members are fixed');
    return this.port;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.info('stopping');
      this.env.clock.clear(this.tickTimer);
      this.env.clock.clear(this.purgeTimer);
      await Promise.all([this.admin?.stop(), this.metricsEndpoint?.stop()]);
      await this.port_.close();
      this.logger.debug('stopping: client port closed');
      await this.peers?.close();
      this.logger.debug('stopping: peer links closed');
      await this.node?.stop();
      this.logger.debug('stopping: disk writes done');
      await this.storage?.close();
      this.logger.info('stopped', { lastZxid: formatZxid(this.lastZxid) });
    })();
    return this.stopping;
  }

  private purge(): void {
    const r = this.storage.purge(this.config.snapRetainCount);
    if (r.snapshots || r.logs) this.logger.info('purged', r);
  }

  /** Fault hook for tests: cut this server off from its peers (closing the links, or `silent`ly dropping what crosses them), or heal it. */
  toggleIsolation(silent = false): void {
    if (!this.peers) return;
    this.isolated = !this.isolated;
    this.peers.isolate(this.isolated, silent);
  }

  // ---------------------------------------------------------------- the server's reducer

  /** Step the server's reducer and carry out what it decided, in order. */
  private run(input: ServerInput): void {
    const r = stepServer(this.srv, input);
    this.srv = r.state;
    for (const e of r.effects) this.effect(e);
  }

  private effect(e: ServerEffect): void {
    switch (e.type) {
      case 'send':
        return void this.peers?.send(e.to, e.msg);
      case 'zab-propose': {
        this.watch.proposing(e.zxid);
        this.node.input({ type: 'propose', value: e.entry });
        const proposed = this.node.state.history[this.node.state.history.length - 1];
        if (proposed?.zxid !== e.zxid) throw new Error(`ZAB gave the proposal ${proposed?.zxid}, prepared for ${e.zxid}`);
        return;
      }
      case 'members': {
        // SERVER-14: links to a new observer are accepted, those to a removed member dropped.
        this.peers?.setMembers(e.membership.members);
        this.logger.info('reconfigured', { version: e.membership.version.toString(16), members: e.membership.members.map((m) => m.id), left: e.left });
        for (const peer of e.left) if (peer !== this.config.myid) this.node.input({ type: 'disconnected', peer });
        return;
      }
      case 'diverged':
        return this.diverged(e.zxid, e.expected, e.actual);
      case 'log':
        return e.level === 'warn' ? this.logger.warn(e.msg, e.fields) : this.logger.info(e.msg, e.fields);
      default:
        return this.port_.answer(e);
    }
  }

  // ---------------------------------------------------------------- ZAB hooks

  /** After every ZAB step: start serving as the role ZAB gives, or stop when it is gone. */
  private stepped(): void {
    const s = this.node.state;
    const was = this.srv.role;
    // Most ZAB steps (acks, commits) leave phase, stage and leader as they were: nothing to tell the reducer.
    const view = zabView(s, this.stopping !== null);
    const last = this.lastView;
    if (last && last.phase === view.phase && last.stage === view.stage && last.leader === view.leader && last.stopping === view.stopping) return;
    this.lastView = view;
    this.watch.zabMoved(s);
    this.run({ type: 'zab', zab: view, now: this.env.clock.now() }); // SERVER-1: the reducer derives the role
    const role = this.srv.role;
    if (role === was) return;
    if (was !== null) this.stopServing(was);
    if (role === null) return;
    if (role === 'readonly') return this.logger.info('serving read-only sessions', { lastZxid: formatZxid(this.lastZxid) });
    // Every half tick (SERVER-7), or as often as reaping asks (SERVER-15).
    const period = Math.max(1, Math.min(Math.floor(this.config.tickTime / 2), this.config.reaping.checkIntervalMs));
    this.tickTimer = this.env.clock.setInterval(() => this.run({ type: 'tick', now: this.env.clock.now() }), period);
    this.logger.info('serving', { mode: this.mode, leader: this.leaderId, epoch: s.currentEpoch, lastZxid: formatZxid(this.lastZxid) });
  }

  private stopServing(was: Role): void {
    this.logger.info('stopped serving', { was, mode: this.mode });
    this.env.clock.clear(this.tickTimer);
    this.tickTimer = null;
    this.port_.dropAll();
  }

  /** PERSIST-11: the committed tree becomes a snapshot (a SNAP from the leader, or the one a start recovered). */
  private install(tree: Tree, zxid: number): void {
    this.run({ type: 'installed', tree, zxid });
  }

  /** BCAST-5: a committed entry reaches the server's reducer. */
  private deliver(entry: Entry, zxid: number): void {
    if (entry.kind === 'base') throw new Error(`a snapshot at ${formatZxid(zxid)} is installed, not delivered`);
    this.run({ type: 'delivered', txn: entry.txn, ...(entry.origin ? { origin: entry.origin } : {}), now: this.env.clock.now() });
    this.watch.delivered(entry.txn, this.srv.tree.digest, this.node.state.phase === 'leading');
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
    this.metrics.count('digest_mismatches_count');
    this.metrics.count('zabkit_digest_mismatches');
    const hex32 = (d: number) => `0x${d.toString(16).padStart(8, '0')}`;
    this.logger.error('digest mismatch: this data tree diverged from the leader\'s; exiting rather than serve it', { zxid: formatZxid(zxid), expected: hex32(expected), actual: hex32(actual) });
    this.env.exit(1, true);
    throw new Error('diverged'); // unreachable in a process; a simulated one stops here
  }

  // ---------------------------------------------------------------- peers

  private onPeerMessage(from: Sid, msg: PeerMessage, mid?: string): void {
    if (isZabMessage(msg)) {
      this.watch.received(msg, from);
      if (msg.type === 'DIFF' || msg.type === 'TRUNC' || msg.type === 'SNAP') {
        this.logger.info('sync from leader', { leader: from, type: msg.type, txns: msg.txns.length, ...(msg.type === 'TRUNC' ? { to: formatZxid(msg.zxid) } : {}) });
      }
      this.node.input({ type: 'receive', from, msg }, mid);
      return;
    }
    this.onShellMessage(from, msg);
  }

  /** The servers' own messages: writes, claims, touches and syncs, all the reducer's (SERVER-6, -7, -10, -11). */
  private onShellMessage(from: Sid, msg: ShellMessage): void {
    switch (msg.type) {
      case 'REQUEST':
      case 'RECONFIG':
      case 'TOUCH':
      case 'REVALIDATE':
      case 'VALIDATE':
      case 'VALIDATED':
      case 'SYNC':
      case 'SYNCED':
        return this.run({ type: 'peer', from, msg, now: this.env.clock.now() });
      case 'HELLO':
        return; // taken by the peer link
    }
  }

  // ---------------------------------------------------------------- what the four-letter words show

  get serving(): boolean {
    return this.srv.role !== null;
  }

  get mode(): string {
    const s = this.node.state;
    if (this.config.servers.length <= 1) return 'standalone';
    if (this.srv.role === 'readonly') return 'read-only';
    return s.phase === 'leading' ? 'leader' : s.phase === 'following' ? 'follower' : s.phase === 'observing' ? 'observer' : 'looking';
  }

  get lastZxid(): number {
    return this.srv.lastZxid;
  }

  get epoch(): number {
    return this.node.state.currentEpoch;
  }

  /**
   * The simulator's scripted runs: a write taken here as a learner's forwarded one is (SERVER-10),
   * with no client to answer (its origin an id no request of this server has); the server's
   * reducer prepares it and, leading, proposes it.
   */
  scriptWrite(session: bigint, write: WriteOp): void {
    const id = this.config.myid;
    this.run({ type: 'peer', from: id, msg: { type: 'REQUEST', origin: { server: id, id: Number.MAX_SAFE_INTEGER }, session, auth: [], write }, now: this.env.clock.now() });
  }

  /** ZAB's state now, once started (the simulator checks the spec's invariants over it). */
  get zab(): ZabState<Entry> | undefined {
    return this.node?.state;
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

  get tree(): Tree {
    return this.srv.tree;
  }
  get connections(): readonly Connection[] {
    return [...this.port_.conns];
  }
  get watchTable(): WatchTable<ConnId> {
    return this.srv.watches;
  }
  get outstanding(): number {
    return this.port_.outstanding;
  }
  get sessionDeadlines(): { get(id: bigint): number | undefined } {
    return this.srv.clock.deadlines;
  }
  get stats(): ClientPort['stats'] {
    return this.port_.stats;
  }
  get uptimeMs(): number {
    return this.watch.uptimeMs;
  }
  get leaderUptimeMs(): number | null {
    return this.watch.leaderUptimeMs;
  }
  get digestLog(): readonly { zxid: number; digest: number }[] {
    return this.watch.digestLog;
  }
  /** srst: ServerStats.reset (latency, packets, response sizes, the metrics); the word also the leader's proposal sizes. */
  resetStats(fourLetterWord: boolean): void {
    const s = this.port_.stats;
    Object.assign(s, { received: 0, latencyMin: Infinity, latencyMax: 0, latencyTotal: 0, latencyCount: 0 });
    // Sent is this plus what the open connections sent: zero the total, their own counts kept (crst's).
    s.sent = 0 - [...this.port_.conns].reduce((n, c) => n + c.sent, 0);
    this.metrics.reset();
    if (fourLetterWord) this.metrics.proposalSizes.reset();
  }
  resetConnectionStats(): void {
    for (const c of this.port_.conns) {
      this.port_.stats.sent += c.sent; // the server's count stays
      resetConnection(c);
    }
  }
}
