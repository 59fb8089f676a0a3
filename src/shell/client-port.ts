// The client port: sockets, frames and the wire codec for every client connection, and the reply
// slots that put answers on the wire in request order. Nothing here decides who may connect, which
// server owns a session, where a write goes, what a read answers or who hears a watch event: each
// request becomes a reducer input, each decision comes back as an effect the server hands to `answer`.
import { Code, sessionPassword } from '../tree/index.ts';
import type { ConnId, Role, ServerEffect, ServerInput } from '../server/index.ts';
import { decodeConnectRequest, decodeRequest, encodeConnectResponse, encodeError, encodeNotification, encodeReply } from '../wire/protocol.ts';
import { Xid } from '../wire/records.ts';
import type { ServerConfig } from './config.ts';
import { Connection, type Slot } from './connection.ts';
import type { Env, ListenerLike, SocketLike } from './env.ts';
import { fourLetterWord, isFourLetterWord, noteResponse, STMK_ARGUMENT, type ServerView } from './four-letter.ts';
import type { Logger } from './logger.ts';
import { encodeRead, readAsk } from './read-codec.ts';
import { wireStat, writeOf, writeReply } from './requests.ts';
import { answerSasl, jaasUsers } from './sasl.ts';
import type { Secured, TlsListener } from './tls-net.ts';
import type { TlsEndpoint } from './tls-options.ts';
import { subjectName } from './x500-name.ts';

/** Requests a connection may send after its ConnectRequest before the answer (they wait for it). */
const MAX_EARLY_REQUESTS = 1000;

/** Watcher state SyncConnected, the only one a server sends with an event. */
const SYNC_CONNECTED = 3;

/** What the port needs of its server. */
export interface PortHost {
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly env: Env;
  readonly view: ServerView;
  readonly role: Role;
  readonly lastZxid: number;
  /** The reducer: a client's request or connection event. */
  run(input: ServerInput): void;
}

/** A request waiting for its txn: its reply slot, when it came (latency), and whether it is a reconfig. */
interface Ref {
  readonly conn: Connection;
  readonly slot: Slot;
  readonly start: number;
  readonly reconfig: boolean;
  /** A sync's path, echoed in its reply. */
  readonly path?: string;
  /** A read's path (read_per_namespace). */
  readonly readPath?: string;
}

export class ClientPort {
  private listener: ListenerLike | null = null;
  /** secureClientPort and client.portUnification: the TLS side (node's Env only). */
  private secure: TlsListener | null = null;
  /** TLS for clients, from ssl.* (tls-options.ts); set by the server before listen() when secureClient is configured. */
  tls: TlsEndpoint | null = null;
  /** The TLS-only port, once listening. */
  securePort: number | null = null;
  private nextConn = 1;
  readonly conns = new Set<Connection>();
  private readonly byId = new Map<ConnId, Connection>();
  private readonly refs = new Map<number, Ref>();
  private nextRef = 1;
  private readonly saslUsers: ReadonlyMap<string, string>;
  readonly stats = { received: 0, sent: 0, latencyMin: Infinity, latencyMax: 0, latencyTotal: 0, latencyCount: 0, authFailed: 0 };
  /** stmk connections waiting for the 8 bytes of their mask. */
  private readonly masks = new Map<Connection, Buffer>();
  /**
   * Requests that came after a ConnectRequest, before its answer: run in order once the session
   * is established (dropped with the connection if it is not). ZooKeeper queues them behind the
   * session's creation; its Netty client (the only one that speaks TLS) sends them at once.
   */
  private readonly early = new Map<Connection, Uint8Array[]>();

  constructor(private readonly host: PortHost) {
    const c = host.config;
    this.saslUsers = c.jaasFile ? jaasUsers(c.jaasFile) : new Map();
  }

  /** Listen; resolves with the plain client port, or the TLS one when only that is open (secureClientPort without clientPort). */
  async listen(): Promise<number> {
    const c = this.host.config;
    const sc = c.secureClient;
    if (sc) {
      const tls = this.host.env.tls;
      if (!tls || !this.tls) throw new Error('secureClientPort / client.portUnification: TLS runs in the node environment only (the simulator has none)');
      this.secure = tls.createServer(this.tls, (s) => this.acceptSecured(s), (remote, why) => this.handshakeFailed(remote, why));
    }
    if (!sc || sc.plainPort) {
      const unify = sc?.portUnification ? this.secure : null;
      this.listener = this.host.env.net.createServer((socket) => (unify ? unify.unify(socket, () => this.accept(socket)) : this.accept(socket)));
      await bind(this.listener, c.clientPort, c.clientPortAddress);
    }
    if (sc?.port !== undefined) this.securePort = await bind(this.secure!, sc.port, sc.address);
    return this.listener ? portOf(this.listener, c.clientPort) : this.securePort!;
  }

  close(): Promise<void> {
    const listeners = [this.listener, this.secure].filter((l): l is ListenerLike => l !== null);
    for (const c of this.conns) c.end();
    return Promise.all(listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve())))).then(() => {});
  }

  /** SERVER-1: the role is gone: requests in flight are not answered here; every connection closes. */
  dropAll(): void {
    this.refs.clear();
    for (const c of this.conns) c.end();
  }

  get outstanding(): number {
    return this.refs.size;
  }

  // ---------------------------------------------------------------- the reducer's decisions

  /** Carry out an effect of the server's reducer that concerns a client. */
  answer(e: ServerEffect): void {
    switch (e.type) {
      case 'read-reply': {
        const r = this.take(e.ref);
        if (!r) return;
        r.slot.reply = encodeRead(r.slot.xid, e.zxid, e.result);
        this.noteLatency(r, 'readlatency');
        this.noteRead(r.readPath, e.result);
        return r.conn.flush();
      }
      case 'notify': {
        // WATCH-2: at once; SERVER-12: the reducer sent it before any reply that follows it.
        const note = encodeNotification(e.event, SYNC_CONNECTED, e.path);
        this.host.view.metrics.count('watch_bytes', note.length - 4);
        return void this.byId.get(e.conn)?.write(note);
      }
      case 'reply': {
        const r = this.take(e.ref);
        if (!r) return;
        r.slot.reply =
          r.reconfig && e.result.type === 'setData'
            ? encodeReply(r.slot.xid, BigInt(e.zxid), 'reconfig', { data: e.data ?? null, stat: wireStat(e.result.stat) })
            : writeReply(r.slot.xid, BigInt(e.zxid), e.result);
        if (e.close) r.slot.close = true;
        this.noteLatency(r, 'updatelatency');
        r.conn.lastZxid = BigInt(e.zxid);
        return r.conn.flush();
      }
      case 'moved': {
        // SERVER-6: not answered; the connection closes once the replies before it are out.
        const r = this.take(e.ref);
        if (!r) return;
        this.host.logger.info('request refused: session moved to another server; closing', { session: `0x${(r.conn.session ?? 0n).toString(16)}`, remote: r.conn.remote, port: r.conn.socket.remotePort });
        r.slot.reply = null;
        r.slot.close = true;
        return r.conn.flush();
      }
      case 'dropped':
        return this.take(e.ref)?.conn.end();
      case 'synced': {
        const r = this.take(e.ref);
        if (!r) return;
        r.slot.reply = encodeReply(r.slot.xid, BigInt(e.zxid), 'sync', { path: r.path ?? '/' });
        this.noteLatency(r, 'readlatency');
        return r.conn.flush();
      }
      case 'not-read-only': {
        // SERVER-13
        const r = this.take(e.ref);
        if (!r) return;
        r.slot.reply = e.close ? encodeReply(r.slot.xid, BigInt(e.zxid), 'closeSession', {}) : encodeError(r.slot.xid, BigInt(e.zxid), Code.NotReadOnly);
        r.slot.close = e.close;
        return r.conn.flush();
      }
    }
    if (e.type !== 'refuse' && e.type !== 'reject' && e.type !== 'accept' && e.type !== 'close' && e.type !== 'authed' && e.type !== 'auth-failed') return;
    const conn = this.byId.get(e.conn);
    if (!conn) return;
    switch (e.type) {
      case 'authed': // at once, outside the request order, as ZooKeeper
        conn.auth = [...e.ids];
        return conn.write(encodeReply(Xid.AUTH, 0n, 'auth', {}));
      case 'auth-failed':
        this.stats.authFailed++;
        conn.write(encodeError(Xid.AUTH, 0n, e.err));
        return conn.end();
      case 'refuse': // SERVER-2
        this.host.logger.info(e.why, { remote: conn.remote, ...e.fields });
        return conn.end();
      case 'reject': // SERVER-5
        conn.session = -1n;
        conn.write(encodeConnectResponse({ protocolVersion: 0, timeOut: 0, sessionId: 0n, passwd: new Uint8Array(16), ...ro(conn.readOnlyAsked) }));
        return conn.end();
      case 'accept':
        return this.established(conn, e.session, e.timeout);
      case 'close':
        return conn.endAfterReplies();
    }
  }

  private take(ref: number): Ref | undefined {
    const r = this.refs.get(ref);
    this.refs.delete(ref);
    return r;
  }

  /** A reply is ready: ServerStats' latency (reads and pings too, as ZooKeeper's), the metrics, the connection's figures. */
  private noteLatency(r: Ref, kind: 'readlatency' | 'updatelatency'): void {
    const end = this.host.env.clock.now();
    const ms = end - r.start;
    const s = this.stats;
    s.latencyMin = Math.min(s.latencyMin, ms);
    s.latencyMax = Math.max(s.latencyMax, ms);
    s.latencyTotal += ms;
    s.latencyCount++;
    const m = this.host.view.metrics;
    m.observe(kind, ms);
    if (r.slot.reply) m.responseSizes.add(r.slot.reply.length - 4); // the frame, not its length prefix
    noteResponse(r.conn, r.slot.xid, r.start, end);
  }

  /** DataTree's read stats: a read's path length plus the bytes it returned, by top-level namespace. */
  private noteRead(path: string | undefined, result: Extract<ServerEffect, { type: 'read-reply' }>['result']): void {
    const ns = path?.split('/')[1];
    if (!ns) return;
    const bytes = result.op === 'getData' ? (result.data?.length ?? 0) : result.op === 'getChildren' || result.op === 'getChildren2' ? result.children.reduce((n, c) => n + c.length, 0) : result.op === 'exists' ? 0 : -1;
    if (bytes >= 0) this.host.view.metrics.observeKey('read_per_namespace', ns, path!.length + bytes);
  }

  // ---------------------------------------------------------------- sockets and frames

  /** A TLS connection: a client certificate the trust store verified makes it `x509:<subject>` (ZooKeeper's X509AuthenticationProvider). */
  private acceptSecured(s: Secured): void {
    let x509: string | undefined;
    if (s.certificate) {
      try {
        x509 = subjectName(s.certificate);
      } catch (e) {
        this.handshakeFailed(s.socket.remoteAddress ?? 'unknown', `client certificate: ${(e as Error).message}`);
        s.socket.destroy();
        return;
      }
    }
    this.accept(s.socket, x509);
  }

  /** A TLS handshake failed or its certificate was refused: that connection is gone (as ZooKeeper counts it: an auth failure). */
  private handshakeFailed(remote: string, why: string): void {
    this.stats.authFailed++;
    this.host.view.metrics.count('unsuccessful_handshake');
    this.host.logger.warn('TLS handshake failed; connection closed', { remote, error: why });
  }

  private accept(socket: SocketLike, x509?: string): void {
    const conn = new Connection(this.nextConn++, socket, this.host.config.maxBuffer, this.host.env.clock);
    if (x509 !== undefined) {
      conn.auth.push({ scheme: 'x509', id: x509 });
      this.host.logger.debug('x509 authenticated', { remote: conn.remote, id: x509 });
    }
    const max = this.host.config.maxClientCnxns;
    if (max > 0 && [...this.conns].filter((c) => c.remote === conn.remote).length >= max) {
      this.host.view.metrics.count('connection_rejected');
      this.host.logger.warn('too many connections', { remote: conn.remote, max });
      socket.destroy();
      return;
    }
    this.conns.add(conn);
    this.byId.set(conn.id, conn);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', (e) => this.host.logger.debug('socket error', { conn: conn.id, error: e.message }));
    socket.on('close', () => this.onClose(conn));
  }

  private onClose(conn: Connection): void {
    conn.closed = true;
    this.masks.delete(conn);
    this.early.delete(conn);
    if (!this.conns.delete(conn)) return;
    this.byId.delete(conn.id);
    this.stats.sent += conn.sent;
    this.host.run({ type: 'closed', conn: conn.id });
  }

  private onData(conn: Connection, chunk: Buffer): void {
    this.host.view.metrics.count('bytes_received_count', chunk.length);
    const waiting = this.masks.get(conn);
    if (waiting) return this.stmk(conn, Buffer.concat([waiting, chunk]));
    const got = conn.read(chunk, (w) => !conn.established && isFourLetterWord(w));
    if (got.type === 'word') {
      this.stats.received++; // a word is a packet to ZooKeeper
      conn.received++;
      if (got.word === 'stmk' && this.host.config.fourLetterWords.has('stmk')) return this.stmk(conn, got.rest);
      conn.write(Buffer.from(fourLetterWord(this.host.view, got.word), 'utf8'));
      conn.end();
      return;
    }
    if (got.type === 'bad') return this.drop(conn, got.error);
    for (const frame of got.frames) {
      if (conn.closed) return;
      this.stats.received++;
      conn.received++;
      if (conn.session === null) this.onConnect(conn, frame);
      else if (!conn.established || this.early.has(conn)) this.waitForSession(conn, frame);
      else this.onPacket(conn, frame);
    }
  }

  private waitForSession(conn: Connection, frame: Uint8Array): void {
    const queue = this.early.get(conn) ?? [];
    if (queue.length >= MAX_EARLY_REQUESTS) return this.drop(conn, `over ${MAX_EARLY_REQUESTS} requests before the session was established`);
    queue.push(frame);
    this.early.set(conn, queue);
  }

  /** stmk: the new trace mask follows the word as a long; answered once its 8 bytes are in. */
  private stmk(conn: Connection, bytes: Buffer): void {
    if (bytes.length < STMK_ARGUMENT) return void this.masks.set(conn, bytes);
    this.masks.delete(conn);
    conn.write(Buffer.from(fourLetterWord(this.host.view, 'stmk', bytes.readBigInt64BE(0)), 'utf8'));
    conn.end();
  }

  /** A malformed packet closes this connection, never the server. */
  private drop(conn: Connection, why: string): void {
    this.host.logger.warn('closing connection: malformed input', { conn: conn.id, remote: conn.remote, error: why });
    conn.socket.destroy();
    this.onClose(conn);
  }

  private onConnect(conn: Connection, frame: Uint8Array): void {
    const d = decodeConnectRequest(frame);
    if (!d.ok) return this.drop(conn, `connect request: ${d.error}`);
    const req = d.value;
    this.host.view.metrics.count('connection_request_count');
    conn.readOnlyAsked = req.readOnly;
    conn.session = req.sessionId === 0n ? -1n : req.sessionId; // frames after it are requests, refused until the answer
    const ask = { sessionId: req.sessionId, passwd: req.passwd ?? null, timeOut: req.timeOut, lastZxidSeen: req.lastZxidSeen, readOnly: req.readOnly };
    this.host.run({ type: 'connect', conn: conn.id, ask, auth: [...conn.auth], now: this.host.env.clock.now() });
  }

  /** SERVER-4, SERVER-5: the session is this connection's. */
  private established(conn: Connection, id: bigint, timeout: number): void {
    conn.session = id;
    conn.timeout = timeout;
    conn.established = true;
    conn.write(encodeConnectResponse({ protocolVersion: 0, timeOut: timeout, sessionId: id, passwd: sessionPassword(id), ...ro(conn.readOnlyAsked, this.host.role === 'readonly') }));
    conn.lastZxid = BigInt(this.host.lastZxid);
    this.host.logger.debug('session established', { session: id, timeout, remote: conn.remote });
    // Not from within the reducer's effects: once they are all carried out (later frames queue behind).
    if (this.early.has(conn))
      this.host.env.clock.soon(() => {
        const early = this.early.get(conn) ?? [];
        this.early.delete(conn);
        for (const frame of early) if (!conn.closed) this.onPacket(conn, frame);
      });
  }

  private onPacket(conn: Connection, frame: Uint8Array): void {
    if (!conn.established) return this.drop(conn, 'request before the session was established');
    const d = decodeRequest(frame);
    if (!d.ok) return this.drop(conn, d.header ? `opcode ${d.header.type}: ${d.error}` : d.error);
    const { xid, request } = d.value;
    const now = this.host.env.clock.now();
    const zxid = () => BigInt(this.host.lastZxid);
    this.host.run({ type: 'request', conn: conn.id, now }); // SERVER-6, SERVER-7
    conn.lastOp = request.op;
    if (request.op === 'unknown') return void conn.push({ xid, reply: encodeError(xid, -1n, Code.Unimplemented), close: true });
    // ACL-2: the reducer answers an addAuth (authed, auth-failed)
    if (request.op === 'auth') return this.host.run({ type: 'add-auth', conn: conn.id, scheme: request.scheme, auth: Buffer.from(request.auth ?? []).toString('utf8'), ids: [...conn.auth] });
    if (request.op === 'sasl') {
      const before = conn.auth.length;
      answerSasl(conn, xid, request.token, this.saslUsers, BigInt(this.host.lastZxid), this.host.logger);
      if (conn.auth.length !== before) this.host.run({ type: 'auth', conn: conn.id, auth: [...conn.auth] }); // WATCH-7
      return;
    }
    if (request.op === 'reconfig') {
      // SERVER-14 (the reducer takes it or refuses it); jute strings have no null: an absent list arrives empty.
      const reconfig = { joining: request.joiningServers || null, leaving: request.leavingServers || null, newMembers: request.newMembers || null };
      return this.submit(conn, xid, { reconfig, fromConfig: Number(request.curConfigId) }, true);
    }
    const write = writeOf(request);
    if (write === 'badArguments') return void conn.push({ xid, reply: encodeError(xid, zxid(), Code.BadArguments) });
    if (write) return this.submit(conn, xid, write, false);
    if (request.op === 'sync') {
      // SERVER-11, SERVER-13: the reducer says when (and whether) it is answered.
      const ref = this.nextRef++;
      this.refs.set(ref, { conn, slot: conn.push({ xid }), start: now, reconfig: false, path: request.path });
      return this.host.run({ type: 'sync', conn: conn.id, ref });
    }
    const ask = readAsk(request);
    if (!ask) return void conn.push({ xid, reply: encodeError(xid, zxid(), Code.Unimplemented) });
    // SERVER-12: the reducer answers it in the connection's order.
    const ref = this.nextRef++;
    this.refs.set(ref, { conn, slot: conn.push({ xid }), start: now, reconfig: false, ...('path' in ask ? { readPath: ask.path } : {}) });
    this.host.run({ type: 'read', conn: conn.id, ref, ask, auth: [...conn.auth] });
  }

  /** SERVER-10: the reply waits in its slot for the txn; the reducer decides where the write goes. */
  private submit(conn: Connection, xid: number, write: Extract<ServerInput, { type: 'submit' }>['write'], reconfig: boolean): void {
    const ref = this.nextRef++;
    const now = this.host.env.clock.now();
    this.refs.set(ref, { conn, slot: conn.push({ xid }), start: now, reconfig });
    this.host.run({ type: 'submit', conn: conn.id, ref, write, auth: [...conn.auth], now });
  }
}

/** The connect response's readOnly flag, present only if the client sent one. */
function ro(readOnly: boolean | undefined, readOnlyServer = false): { readOnly?: boolean } {
  return readOnly === undefined ? {} : { readOnly: readOnlyServer };
}

function bind(l: ListenerLike, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    l.once('error', reject);
    l.listen(port, host, () => resolve(portOf(l, port)));
  });
}

function portOf(l: ListenerLike, asked: number): number {
  const addr = l.address();
  return typeof addr === 'object' && addr ? addr.port : asked;
}
