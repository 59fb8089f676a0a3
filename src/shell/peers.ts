// The TCP links between the servers of one ensemble. Every server listens on the quorum and
// election ports of its `server.N` line and dials a peer's ports to send to it, so each ordered
// pair of servers has its own FIFO stream per channel (the per-pair channels of the model).
// Notifications travel on the election channel, everything else on the quorum channel.
//
// A quorum link that breaks (either direction), a dial that fails, or a message that had to be
// dropped is reported to ZAB as `disconnected`, so a stream never silently resumes after a gap.
// The two sockets of a pair are one connection to ZAB (NET-2): the report closes the other
// direction too, so one break is reported once and nothing the peer sent before it is read after
// (else a learner that started over reads its leader's answers to its previous FOLLOWERINFO as
// answers to its new one: a history with a gap, found by the simulator at seed 2568).
// Frames leave in batches: the writes of one turn of the event loop go out together (writeBatched).
// With sslQuorum both channels run over TLS (the node environment's only), each side proving
// itself with its certificate: a peer the quorum trust store does not verify never gets a link.
import type { Sid } from '../zab/types.ts';
import { decodePeerFrame, encodePeer, type Channel, type PeerMessage } from '../wire/peer.ts';
import { FrameReader } from '../wire/protocol.ts';
import type { PeerAddress } from './config.ts';
import { writeBatched } from './batched-writes.ts';
import type { Env, ListenerLike, SocketLike as Socket } from './env.ts';
import type { Logger } from './logger.ts';
import type { TlsEndpoint } from './tls-options.ts';

export interface PeerHooks {
  /** `mid`: the sender's message id, when it traces. */
  receive(from: Sid, msg: PeerMessage, mid?: string): void;
  /** The quorum stream to or from `peer` broke: messages may have been lost. */
  lost(peer: Sid): void;
}

interface Link {
  socket: Socket | null;
  /** No dial before this time (ms since epoch): backoff after a failure. */
  retryAt: number;
  backoff: number;
  /** A TLS failure of this link was logged as a warning: the next ones (every retry) are debug until it comes up. */
  tlsWarned?: boolean;
}

const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1000;
/** A peer may send snapshots: far more than a client's jute.maxbuffer. */
const MAX_PEER_FRAME = 1 << 30;

const channelOf = (m: PeerMessage): Channel => (m.type === 'NOTIFICATION' ? 'election' : 'quorum');
const hostOf = (h: string) => (h === 'localhost' ? '127.0.0.1' : h);

export class Peers {
  private readonly out = new Map<string, Link>();
  private readonly inbound = new Map<string, Socket>();
  /** Every accepted socket still open, HELLO or not: stopping closes them all (a listener's close waits for them). */
  private readonly accepted = new Set<Socket>();
  private readonly listeners: ListenerLike[] = [];
  private byId: ReadonlyMap<Sid, PeerAddress>;
  /** Sockets we closed on purpose: their close is not news. */
  private readonly quiet = new WeakSet<Socket>();
  private isolated = false;
  private silent = false;
  private closed = false;
  /** Remote addresses (and channel) whose failed TLS handshake was warned about: the retries that follow are debug. */
  private readonly refused = new Set<string>();

  constructor(
    private readonly me: Sid,
    servers: readonly PeerAddress[],
    private readonly hooks: PeerHooks,
    private readonly logger: Logger,
    private readonly env: Env,
    /** Mutant: a break closes only the socket that broke (the other direction stays open). */
    private readonly halfLinks = false,
    /** sslQuorum: the ssl.quorum.* TLS of both channels. */
    private readonly tls?: TlsEndpoint,
  ) {
    this.byId = new Map(servers.map((s) => [s.id, s]));
    if (tls && !env.tls) throw new Error('sslQuorum: TLS runs in the node environment only; the simulator has no TLS');
  }

  /** Bind this server's quorum and election ports. */
  async listen(): Promise<void> {
    const self = this.byId.get(this.me);
    if (!self) throw new Error(`server.${this.me} is not among the server lines`);
    for (const channel of ['quorum', 'election'] as const) {
      const listener = this.tls
        ? this.env.tls!.createServer(this.tls, (s) => this.accept(s.socket, channel), (remote, why) => this.tlsRefused(remote, channel, why))
        : this.env.net.createServer((socket) => this.accept(socket, channel));
      await new Promise<void>((resolve, reject) => {
        listener.once('error', (e) => reject(new Error(`${channel} port ${hostOf(self.host)}:${portOf(self, channel)}: ${e.message}`)));
        listener.listen(portOf(self, channel), hostOf(self.host), () => resolve());
      });
      this.listeners.push(listener);
    }
  }

  send(to: Sid, msg: PeerMessage, mid?: string): void {
    if (this.closed || to === this.me) return;
    const channel = channelOf(msg);
    // Isolated by the fault hook, or no longer a member (a reconfig removed it): the message is lost.
    if (this.silent) return; // lost on the way, unknown to both ends
    if (this.isolated || !this.byId.has(to)) return this.dropped(to, channel);
    const link = this.link(to, channel);
    if (!link.socket) {
      if (this.env.clock.now() < link.retryAt) return this.dropped(to, channel);
      this.dial(to, channel, link);
    }
    writeBatched(link.socket!, encodePeer(msg, mid), this.env.clock);
  }

  /** A reconfig changed the members (observers join or leave): drop the links of those who left. */
  setMembers(servers: readonly PeerAddress[]): void {
    const next = new Map(servers.map((s) => [s.id, s]));
    for (const sid of this.byId.keys()) {
      if (next.has(sid) || sid === this.me) continue;
      this.disconnect(sid);
      const election = this.out.get(key(sid, 'election'));
      if (election?.socket) this.close(election.socket);
      this.out.delete(key(sid, 'quorum'));
      this.out.delete(key(sid, 'election'));
    }
    if (!next.has(this.me)) next.set(this.me, this.byId.get(this.me)!); // our own ports stay ours
    this.byId = next;
  }

  /** ZAB asked to drop this peer (e.g. a learner that fell silent): close both directions. */
  disconnect(peer: Sid): void {
    const link = this.out.get(key(peer, 'quorum'));
    if (link?.socket) this.close(link.socket);
    if (link) link.socket = null;
    const s = this.inbound.get(key(peer, 'quorum'));
    if (s) {
      this.inbound.delete(key(peer, 'quorum'));
      this.close(s);
    }
  }

  /** Fault hook for tests: cut every link and refuse new ones (a partition), or heal it. */
  isolate(on: boolean, silent = false): void {
    this.isolated = on;
    this.silent = on && silent;
    this.logger.warn(on ? `isolated from peers (fault hook${silent ? ', silent' : ''})` : 'peer links restored (fault hook)');
    // Silent: every message is dropped both ways but no connection closes, as when a network
    // drops packets; each end finds out by its own timers.
    if (!on || silent) return;
    const peers = new Set<Sid>();
    for (const [k, link] of this.out) {
      if (link.socket) this.close(link.socket);
      link.socket = null;
      if (k.endsWith(':quorum')) peers.add(Number(k.split(':')[0]));
    }
    for (const [k, s] of this.inbound) {
      this.close(s);
      if (k.endsWith(':quorum')) peers.add(Number(k.split(':')[0]));
    }
    this.inbound.clear();
    for (const p of peers) this.reportLost(p);
  }

  async close(): Promise<void>;
  close(socket: Socket): void;
  close(socket?: Socket): void | Promise<void> {
    if (socket) {
      this.quiet.add(socket);
      socket.destroy();
      return;
    }
    this.closed = true;
    for (const link of this.out.values()) if (link.socket) this.close(link.socket);
    for (const s of this.accepted) this.close(s);
    return Promise.all(this.listeners.map((l) => new Promise<void>((r) => l.close(() => r())))).then(() => {});
  }

  // ---------------------------------------------------------------- outbound

  private link(to: Sid, channel: Channel): Link {
    const k = key(to, channel);
    let link = this.out.get(k);
    if (!link) {
      link = { socket: null, retryAt: 0, backoff: MIN_BACKOFF_MS };
      this.out.set(k, link);
    }
    return link;
  }

  private dial(to: Sid, channel: Channel, link: Link): void {
    const addr = this.byId.get(to)!;
    const at = { host: hostOf(addr.host), port: portOf(addr, channel) };
    const up = () => {
      link.backoff = MIN_BACKOFF_MS;
      link.tlsWarned = false;
      this.logger.debug('peer link up', { peer: to, channel });
    };
    // TLS: the link is up once the handshake is done (a refused one backs off like a refused dial).
    const socket = this.tls ? this.env.tls!.connect(at, this.tls, up) : this.env.net.connect(at);
    socket.setNoDelay(true);
    link.socket = socket;
    socket.write(encodePeer({ type: 'HELLO', sid: this.me, channel }));
    if (!this.tls) socket.on('connect', up);
    socket.on('data', () => {}); // nothing comes back on a link we dialled
    socket.on('error', (e) => {
      const tlsFailure = this.tls !== undefined && /SSL|TLS|certificate|altnames|alert|handshake/i.test(e.message);
      const warn = tlsFailure && !link.tlsWarned;
      if (tlsFailure) link.tlsWarned = true;
      this.logger[warn ? 'warn' : 'debug'](tlsFailure ? 'peer TLS handshake failed' : 'peer link error', { peer: to, channel, error: e.message });
    });
    socket.on('close', () => {
      if (link.socket === socket) {
        link.socket = null;
        link.retryAt = this.env.clock.now() + link.backoff;
        link.backoff = Math.min(MAX_BACKOFF_MS, link.backoff * 2);
      }
      if (!this.quiet.has(socket) && channel === 'quorum') this.reportLost(to);
    });
  }

  /** An inbound TLS handshake failed (no certificate, an untrusted one, one for another address): no link. */
  private tlsRefused(remote: string, channel: Channel, why: string): void {
    const k = `${remote.replace(/:\d+$/, '')}:${channel}`;
    const first = !this.refused.has(k);
    this.refused.add(k);
    this.logger[first ? 'warn' : 'debug']('peer TLS handshake refused', { remote, channel, error: why });
  }

  private dropped(to: Sid, channel: Channel): void {
    if (channel === 'quorum') this.reportLost(to);
  }

  /**
   * At once, so that nothing the peer sends on a new stream is taken before the old one's loss.
   * NET-2: both directions of the quorum connection with `peer` end here, quietly.
   */
  private reportLost(peer: Sid): void {
    if (this.closed) return;
    if (!this.halfLinks) this.disconnect(peer);
    this.hooks.lost(peer);
  }

  // ---------------------------------------------------------------- inbound

  private accept(socket: Socket, channel: Channel): void {
    if (this.closed || (this.isolated && !this.silent)) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.accepted.add(socket);
    const frames = new FrameReader(MAX_PEER_FRAME);
    let from: Sid | null = null;
    const fail = (why: string) => {
      this.logger.warn('closing peer connection: malformed input', { peer: from, channel, remote: socket.remoteAddress, error: why });
      socket.destroy();
    };
    socket.on('data', (chunk: Buffer) => {
      const got = frames.push(chunk);
      if (!got.ok) return fail(got.error);
      for (const frame of got.frames) {
        if (socket.destroyed || this.isolated) return;
        const d = decodePeerFrame(frame);
        if (!d.ok) return fail(d.error);
        const { msg, mid } = d.value;
        if (from === null) {
          if (msg.type !== 'HELLO') return fail(`expected HELLO, got ${msg.type}`);
          if (msg.channel !== channel || !this.byId.has(msg.sid) || msg.sid === this.me) return fail(`HELLO from server ${msg.sid} on the ${channel} port`);
          from = msg.sid;
          if (this.tls) this.refused.delete(`${(socket.remoteAddress ?? '').replace(/^::ffff:/, '')}:${channel}`);
          const k = key(from, channel);
          const old = this.inbound.get(k);
          if (old) {
            // NET-4: the peer reconnected: whatever the old stream still held is lost; say so first.
            this.inbound.delete(k);
            this.close(old);
            if (channel === 'quorum') this.reportLost(from);
          }
          this.inbound.set(k, socket);
          continue;
        }
        if (msg.type === 'HELLO' || channelOf(msg) !== channel) return fail(`${msg.type} on the ${channel} channel`);
        this.hooks.receive(from, msg, mid);
      }
    });
    socket.on('error', (e) => this.logger.debug('peer connection error', { peer: from, channel, error: e.message }));
    socket.on('close', () => {
      this.accepted.delete(socket);
      if (from === null) return;
      const k = key(from, channel);
      if (this.inbound.get(k) === socket) this.inbound.delete(k);
      if (!this.quiet.has(socket) && channel === 'quorum') this.reportLost(from);
    });
  }
}

const key = (sid: Sid, channel: Channel) => `${sid}:${channel}`;
const portOf = (a: PeerAddress, channel: Channel) => (channel === 'quorum' ? a.quorumPort : a.electionPort);
