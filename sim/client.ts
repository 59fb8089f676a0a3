// A simulated ZooKeeper client: the real wire codec (src/wire) over the simulated network. It
// keeps one session across connections, as ZooKeeper's clients do: a lost connection fails the
// requests in flight (their outcome unknown), and the client connects to another server with its
// session id, password and the last zxid it saw; a server that answers with no session means the
// session expired, and the client starts a new one. It pings when idle and gives up a connection
// that has been silent for two thirds of the session timeout.
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

export interface SessionLog {
  /** The n-th session of its client. */
  readonly n: number;
  id: bigint;
  readonly seen: Seen[];
  /** How it ended: closed by the client (acknowledged), or found expired. */
  end: 'open' | 'closed' | 'expired';
}

interface Pending {
  readonly xid: number;
  readonly req: number;
  readonly done: (o: Outcome) => void;
}

export class SimClient {
  private socket: SimSocket | null = null;
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
    return new Promise((done) => this.pending.push({ xid, req, done }));
  }

  /** The session is over (its close was answered): no reconnecting. */
  ended(how: 'closed' | 'expired'): void {
    this.session.end = how;
  }

  /** Its closeSession was answered: the session is over; the next connection starts a new one. */
  closed(): void {
    this.ended('closed');
    this.newSession();
    this.drop();
  }

  /** Start a new session (the old one expired or was closed). */
  newSession(): void {
    this.sessions.push({ n: this.sessions.length, id: 0n, seen: [], end: 'open' });
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
    if (this.sched.now - this.lastHeard > (2 * t) / 3) return this.drop();
    if (this.connected && this.sched.now - this.lastSend > t / 3) {
      this.socket.write(encodeRequest(Xid.PING, { op: 'ping' }));
      this.lastSend = this.sched.now;
    }
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
