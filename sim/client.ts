// A simulated ZooKeeper client: the real wire codec (src/wire) over the simulated network. It
// keeps one session across connections, as ZooKeeper's clients do: a lost connection fails the
// requests in flight (their outcome unknown), and the client connects to another server with its
// session id, password and the last zxid it saw; a server that answers with no session means the
// session expired, and the client starts a new one. It pings when idle and gives up a connection
// that has been silent for two thirds of the session timeout, or a connect not answered within the
// session timeout divided by the number of servers (as ZooKeeper's Java client).
import { Reader } from '../src/wire/jute.ts';
import { decodeConnectResponse, decodeReplyHeader, encodeConnectRequest, encodeRequest, FrameReader, type Request } from '../src/wire/protocol.ts';
import { WatcherEvent, Xid } from '../src/wire/records.ts';
import type { SimNet, SimSocket } from './net.ts';
import type { Random } from './random.ts';
import type { Proc, Scheduler } from './scheduler.ts';

export type Outcome =
  | { readonly kind: 'reply'; readonly err: number; readonly zxid: bigint; readonly body: Reader }
  /** The connection went before the reply: the request may or may not have taken effect. */
  | { readonly kind: 'lost' };

/** What a session saw, in arrival order: the replies (by request id) and watch events. */
export type Seen =
  | { readonly kind: 'reply'; readonly req: number; readonly zxid: bigint; readonly err: number; readonly at: number }
  | { readonly kind: 'event'; readonly type: number; readonly path: string; readonly at: number }
  /** A new connection: the watches of the last one are gone (this client does not set them again). */
  | { readonly kind: 'connected'; readonly sid: number; readonly at: number };

/** One established connection of a session: its server, and what it carried (INV-22). */
export interface Link {
  readonly sid: number;
  /** Its socket (what it sent may still be on its way after the client left it). */
  readonly socket: SimSocket;
  /** Requests sent on it, pings included (the first one claims the session for its server, SERVER-6). */
  sent: number;
  /** Writes acknowledged on it. */
  acked: number;
  /** Requests in flight when it went: they may still reach the leader. */
  lost: number;
  /**
   * When its first request left: whether a claim or write of the session from another server might
   * still have been on its way to the leader (INV-22's race, judged from the simulated network).
   */
  racing: boolean;
}

export interface SessionLog {
  /** Its connections, in order. */
  readonly links: Link[];
  /** The n-th session of its client. */
  readonly n: number;
  id: bigint;
  readonly seen: Seen[];
  /** How it ended: closed by the client (acknowledged), or found expired. */
  end: 'open' | 'closed' | 'expired';
  /** When the client learned it ended: no write of the session can take effect after that. */
  endedAt?: number;
}

interface Pending {
  readonly xid: number;
  readonly req: number;
  readonly done: (o: Outcome) => void;
}

export class SimClient {
  private socket: SimSocket | null = null;
  /** The current connection, once established: what it carried (INV-22). */
  here: Link | null = null;
  private frames = new FrameReader(1 << 24);
  private pending: Pending[] = [];
  private xid = 1;
  private connected = false;
  private handshaking = false;
  private lastSend = 0;
  private lastHeard = 0;
  private passwd: Uint8Array = new Uint8Array(16);
  timeout = 0;
  lastZxid = 0n;
  readonly sessions: SessionLog[] = [];
  /** Violations the client saw itself (a reply out of order). */
  readonly problems: string[] = [];
  /** Stop reconnecting (the run is over, or the client closed its session). */
  stopped = false;
  /** A server that answered (for `server` in the history). */
  server = -1;
  connects = 0;

  constructor(
    readonly id: number,
    readonly proc: Proc,
    private readonly sched: Scheduler,
    private readonly net: SimNet,
    private readonly random: Random,
    private readonly servers: readonly { readonly sid: number; readonly port: number }[],
    private readonly askTimeout: number,
    private readonly say: (line: string) => void = () => {},
  ) {
    this.newSession();
    this.connect();
    const tick = () => {
      this.sched.after(Math.max(10, Math.floor(this.askTimeout / 6)), this.proc, tick);
      this.heartbeat();
    };
    this.sched.after(10, this.proc, tick);
  }

  /** Set by the run: could a claim or write of `session` from another server than `here`'s still reach the leader? */
  racing: (session: SessionLog, here: Link) => boolean = () => true;

  /** The port that names this client's current connection at the server (null: none). */
  get port(): number | null {
    return this.socket?.remotePort ?? null;
  }

  get session(): SessionLog {
    return this.sessions[this.sessions.length - 1]!;
  }

  get ready(): boolean {
    return this.connected && !this.stopped;
  }

  get inFlight(): number {
    return this.pending.length;
  }

  /** Send a request; its outcome comes back. `req` names it in the session's log. */
  request(req: number, request: Exclude<Request, { op: 'unknown' }>): Promise<Outcome> {
    if (!this.connected || !this.socket) return Promise.resolve({ kind: 'lost' });
    const xid = this.xid++;
    this.socket.write(encodeRequest(xid, request));
    this.lastSend = this.sched.now;
    this.counted();
    return new Promise((done) => this.pending.push({ xid, req, done }));
  }

  /** The session is over (its close was answered): no reconnecting. */
  ended(how: 'closed' | 'expired'): void {
    this.session.end = how;
    this.session.endedAt = this.sched.now;
  }

  /** Leave this connection for another server (the requests in flight are lost to it). */
  move(): void {
    this.drop();
  }

  /** Its closeSession was answered: the session is over; the next connection starts a new one. */
  closed(): void {
    this.ended('closed');
    this.newSession();
    this.drop();
  }

  /** Start a new session (the old one expired or was closed). */
  newSession(): void {
    this.sessions.push({ n: this.sessions.length, id: 0n, seen: [], end: 'open', links: [] });
    this.passwd = new Uint8Array(16);
  }

  /** The client goes away (without closing its session). */
  stop(): void {
    this.stopped = true;
    this.socket?.destroy();
  }

  private connect(): void {
    if (this.stopped) return;
    const to = this.random.pick(this.servers);
    this.say(`${this.sched.now} c${this.id} connects to s${to.sid} (session 0x${this.session.id.toString(16)}, last zxid 0x${this.lastZxid.toString(16)})`);
    const socket = this.net.view(this.proc, `c${this.id}`).connect({ host: '127.0.0.1', port: to.port }) as SimSocket;
    this.socket = socket;
    this.here = null;
    this.frames = new FrameReader(1 << 24);
    this.handshaking = true;
    this.connects++;
    this.lastHeard = this.sched.now;
    socket.on('data', (chunk: Buffer) => socket === this.socket && this.onData(chunk, to.sid));
    socket.on('error', () => {});
    socket.on('close', () => socket === this.socket && this.lost());
    socket.write(
      encodeConnectRequest({
        protocolVersion: 0,
        lastZxidSeen: this.lastZxid,
        timeOut: this.askTimeout,
        sessionId: this.session.id,
        passwd: this.passwd,
        readOnly: false,
      }),
    );
    this.lastSend = this.sched.now;
  }

  private lost(): void {
    this.say(`${this.sched.now} c${this.id} lost its connection (${this.pending.length} in flight)`);
    this.socket = null;
    this.connected = false;
    this.handshaking = false;
    if (this.here) this.here.lost += this.pending.length;
    const failed = this.pending;
    this.pending = [];
    for (const p of failed) p.done({ kind: 'lost' });
    if (!this.stopped) this.sched.after(this.random.int(5, 100), this.proc, () => this.connect());
  }

  private drop(): void {
    const s = this.socket;
    if (!s) return;
    s.destroy();
    this.lost();
  }

  /** Ping when idle; give up a connection silent for two thirds of the timeout. */
  private heartbeat(): void {
    if (!this.socket || this.stopped) return;
    const t = this.connected ? this.timeout : this.askTimeout;
    // Connected: silent for two thirds of the session timeout (ZooKeeper's read timeout).
    // Connecting: no answer within the timeout shared among the servers (its connect timeout).
    const patience = this.connected ? (2 * t) / 3 : t / this.servers.length;
    if (this.sched.now - this.lastHeard > patience) return this.drop();
    if (this.connected && this.sched.now - this.lastSend > t / 3) {
      this.socket.write(encodeRequest(Xid.PING, { op: 'ping' }));
      this.lastSend = this.sched.now;
      this.counted();
    }
  }

  /** A request (a ping too: any request claims the session for its server, SERVER-6) left on this connection. */
  private counted(): void {
    if (this.here && this.here.sent++ === 0) this.here.racing = this.racing(this.session, this.here);
  }

  private onData(chunk: Buffer, sid: number): void {
    this.lastHeard = this.sched.now;
    const r = this.frames.push(chunk);
    if (!r.ok) {
      this.problems.push(`client ${this.id}: bad frame from server ${sid}: ${r.error}`);
      return this.drop();
    }
    for (const f of r.frames) {
      if (!this.socket) return;
      if (this.handshaking) this.onConnected(f, sid);
      else this.onFrame(f, sid);
    }
  }

  private onConnected(f: Uint8Array, sid: number): void {
    this.handshaking = false;
    const d = decodeConnectResponse(f);
    if (!d.ok) {
      this.problems.push(`client ${this.id}: bad connect response from server ${sid}: ${d.error}`);
      return this.drop();
    }
    const v = d.value;
    this.say(`${this.sched.now} c${this.id} connect answered by s${sid}: session 0x${v.sessionId.toString(16)}, timeout ${v.timeOut}`);
    if (v.timeOut <= 0) {
      // SESSION: the session is gone; a client that had one learns it expired.
      if (this.session.id !== 0n) {
        this.ended('expired');
        this.newSession();
      }
      return this.drop();
    }
    if (this.session.id !== 0n && v.sessionId !== this.session.id) this.problems.push(`client ${this.id}: reconnected to session ${v.sessionId}, asked for ${this.session.id}`);
    this.session.id = v.sessionId;
    this.passwd = v.passwd ?? new Uint8Array(16);
    this.timeout = v.timeOut;
    this.connected = true;
    this.server = sid;
    this.here = { sid, socket: this.socket!, sent: 0, acked: 0, lost: 0, racing: false };
    this.session.links.push(this.here);
    this.session.seen.push({ kind: 'connected', sid, at: this.sched.now });
  }

  private onFrame(f: Uint8Array, sid: number): void {
    const h = decodeReplyHeader(f);
    if (!h.ok) {
      this.problems.push(`client ${this.id}: bad reply from server ${sid}: ${h.error}`);
      return this.drop();
    }
    const { xid, zxid, err, body } = h.value;
    if (xid === Xid.NOTIFICATION) {
      const e = WatcherEvent.read(body);
      this.session.seen.push({ kind: 'event', type: e.type, path: e.path, at: this.sched.now });
      return;
    }
    if (xid === Xid.PING || xid === Xid.AUTH || xid === Xid.SET_WATCHES) return;
    if (zxid > this.lastZxid) this.lastZxid = zxid;
    const p = this.pending.shift();
    if (!p || p.xid !== xid) {
      this.problems.push(`client ${this.id}: reply xid ${xid} from server ${sid}, expected ${p?.xid ?? 'none'} (replies out of request order)`);
      return this.drop();
    }
    this.session.seen.push({ kind: 'reply', req: p.req, zxid, err, at: this.sched.now });
    p.done({ kind: 'reply', err, zxid, body });
  }
}
