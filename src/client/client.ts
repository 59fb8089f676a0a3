// A ZooKeeper client session over one TCP connection at a time (ZooKeeper's ClientCnxn):
// requests are answered in the order sent; a broken connection fails what was in flight with
// ConnectionLoss and moves to another server within the session timeout, carrying the last zxid
// seen (a server that is behind refuses it) and setting every watch again; the session ends when
// a server says it expired, or when no server could be reached for the whole session timeout.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { z } from 'zod';
import { writeBatched } from '../shell/batched-writes.ts';
import { pathProblem } from '../tree/path.ts';
import { type Reader } from '../wire/jute.ts';
import type { MultiOp, MultiResult } from '../wire/multi.ts';
import { MultiResponse } from '../wire/multi.ts';
import { decodeConnectResponse, decodeReplyHeader, encodeConnectRequest, encodeRequest, FrameReader, type Request } from '../wire/protocol.ts';
import { OPS, WatcherEvent, Xid, type SimpleOp } from '../wire/records.ts';
import { askWord } from '../wire/ask-word.ts';
import { digestMd5, parseDirectives } from '../wire/sasl-digest.ts';
import { fromServer, parseConnectString, shuffled, toServer, type HostPort } from './connect-string.ts';
import { ConnectionLossError, errorFor, InvalidACLError, InvalidPathError, MultiError, OperationTimeoutError, SessionExpiredError, ZooKeeperError } from './errors.ts';
import {
  bytes,
  CREATE_FLAGS,
  isSequential,
  createOpcode,
  OPEN_ACL_UNSAFE,
  toStat,
  type ACL,
  type CreateOptions,
  type Data,
  type ReadOp,
  type ResultsOf,
  type Stat,
  type WriteOp,
} from './ops.ts';
import { EVENT_TYPES, WATCHER_TYPE_CODES, WatchRegistry, type WatchEvent, type Watcher, type WatcherType } from './watches.ts';

export type ConnectionState = 'connecting' | 'connected' | 'connectedReadOnly' | 'disconnected' | 'expired' | 'authFailed' | 'closed';

const Options = z
  .object({
    /** The session timeout asked for, ms (the server bounds it by 2..20 ticks). */
    sessionTimeout: z.number().int().positive().default(30000),
    /** How long one server may take to accept a connection and answer it, ms (default: the session timeout / the number of servers). */
    connectTimeout: z.number().int().positive().optional(),
    /** Accept a read-only server when no quorum can be reached (canBeReadOnly). */
    readOnly: z.boolean().default(false),
    /** Try the servers in a random order (default), or in the order given. */
    shuffle: z.boolean().default(true),
    /** Credentials sent on every connection (addAuth is remembered the same way). */
    auth: z.array(z.object({ scheme: z.string().min(1), auth: z.union([z.string(), z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'a Uint8Array')]) })).default([]),
    /** SASL DIGEST-MD5 with these credentials before any request. */
    sasl: z.object({ username: z.string(), password: z.string() }).optional(),
    /** Retries of calls that are safe to repeat (reads, sync, exists, addWatch) after ConnectionLoss or OperationTimeout. */
    retry: z.object({ attempts: z.number().int().min(0), delayMs: z.number().min(0).default(100) }).default({ attempts: 0, delayMs: 100 }),
    /** Every call's timeout unless the call gives its own, ms (default: none; a call still ends with the connection or the session). */
    requestTimeout: z.number().int().positive().optional(),
    /** Resume a session (its id and password from another client's `session`). */
    session: z.object({ id: z.bigint(), passwd: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'a Uint8Array') }).optional(),
  })
  .strict();

export type ClientOptions = z.input<typeof Options>;

export interface NodeData {
  readonly data: Buffer;
  readonly stat: Stat;
  /** The node has no value at all (made without data), which ZooKeeper tells apart from an empty one. */
  readonly nullData: boolean;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  /** ms. */
  readonly timeout?: number;
}

export interface ClientEvents {
  state: [ConnectionState];
  connected: [];
  readOnly: [];
  disconnected: [];
  expired: [];
  authFailed: [];
  closed: [];
}

interface Pending {
  readonly xid: number;
  readonly frame: Uint8Array;
  readonly path: string | undefined;
  /** Called with the reply's error code and a reader on its body. */
  readonly settle: (err: number, body: Reader) => void;
  readonly fail: (e: Error) => void;
  /** Timed out or aborted: its reply, when it comes, is dropped. */
  dropped: boolean;
}

/**
 * Frames sent together leave in one writev: the socket is uncorked once the current callback and
 * its promise continuations are done (nextTick runs after them), so the calls a batch of replies
 * set off go out at once, with no wait for the next turn (measured: setImmediate was slower for writes).
 */
const TOGETHER = { soon: (f: () => void) => process.nextTick(f) };
/** A client path checked (as a sequential node's prefix, if so) and turned into the server's (chroot added). */
type ToServer = (path: string, sequential?: boolean) => string;
const TERMINAL: ReadonlySet<ConnectionState> = new Set(['expired', 'authFailed', 'closed']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** ZooKeeper's client splits setWatches into packets of at most this many path bytes. */
const SET_WATCHES_MAX = 128 * 1024;

/** The session is over: calls fail with this once the client is closed. */
export class ClientClosedError extends Error {
  constructor() {
    super('the client is closed');
    this.name = 'ClientClosedError';
  }
}

export class ZooKeeperClient extends EventEmitter<ClientEvents> {
  private readonly o: z.output<typeof Options>;
  private readonly hosts: HostPort[];
  readonly chroot: string;
  private hostAt = 0;
  private _state: ConnectionState = 'connecting';
  private socket: Socket | null = null;
  private xid = 1;
  private outgoing: Pending[] = [];
  private inflight: Pending[] = [];
  readonly watches = new WatchRegistry();
  private auths: { scheme: string; auth: Uint8Array }[];
  private _sessionId = 0n;
  private passwd: Uint8Array = new Uint8Array(16);
  private _timeout = 0;
  /** The highest zxid any reply carried: a server behind it refuses this client. */
  private _lastZxid = 0n;
  /** When a server last answered, ms (performance.now()). */
  private lastHeard = 0;
  private closing: Promise<void> | null = null;
  /** A read-write server found while read-only: the next connection goes there. */
  private nextHost: number | null = null;
  /** Whether a read-write server has granted this session (a read-only server's session id means nothing to them). */
  private seenRw = false;
  private wake: (() => void) | null = null;

  constructor(connectString: string, options: ClientOptions = {}) {
    super();
    this.o = Options.parse(options);
    const cs = parseConnectString(connectString);
    this.hosts = this.o.shuffle ? shuffled(cs.hosts) : [...cs.hosts];
    this.chroot = cs.chroot;
    this.auths = this.o.auth.map((a) => ({ scheme: a.scheme, auth: bytes(a.auth)! }));
    if (this.o.session) {
      this._sessionId = this.o.session.id;
      this.passwd = this.o.session.passwd;
      this.seenRw = true;
    }
    void this.run();
  }

  get state(): ConnectionState {
    return this._state;
  }
  get sessionId(): bigint {
    return this._sessionId;
  }
  /** The id and password another client can resume this session with. */
  get session(): { readonly id: bigint; readonly passwd: Uint8Array } {
    return { id: this._sessionId, passwd: this.passwd };
  }
  /** The session timeout the server granted, ms (0 before the first connection). */
  get sessionTimeout(): number {
    return this._timeout;
  }
  get lastZxid(): bigint {
    return this._lastZxid;
  }
  /** The server this client is connected to, if it is. */
  get server(): HostPort | undefined {
    return this.socket && (this._state === 'connected' || this._state === 'connectedReadOnly') ? this.hosts[this.hostAt] : undefined;
  }

  private setState(s: ConnectionState): void {
    if (this._state === s) return;
    this._state = s;
    this.emit('state', s);
    const named = ({ connected: 'connected', connectedReadOnly: 'readOnly', disconnected: 'disconnected', expired: 'expired', authFailed: 'authFailed', closed: 'closed' } as const)[s as Exclude<ConnectionState, 'connecting'>];
    if (named) this.emit(named);
  }

  /** Resolves once connected (or read-only); rejects if the session ends first or `timeoutMs` passes. */
  waitConnected(timeoutMs = this.o.sessionTimeout): Promise<void> {
    if (this._state === 'connected' || this._state === 'connectedReadOnly') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => done(new OperationTimeoutError()), timeoutMs);
      const on = (s: ConnectionState) => {
        if (s === 'connected' || s === 'connectedReadOnly') done();
        else if (TERMINAL.has(s)) done(s === 'expired' ? new SessionExpiredError() : s === 'authFailed' ? errorFor(-115) : new ClientClosedError());
      };
      const done = (e?: Error) => {
        clearTimeout(t);
        this.off('state', on);
        if (e) reject(e);
        else resolve();
      };
      this.on('state', on);
    });
  }

  // ---------------------------------------------------------------- the connection loop

  private async run(): Promise<void> {
    let failedInARow = 0;
    while (!TERMINAL.has(this._state)) {
      const host = this.hosts[this.hostAt]!;
      const outcome = await this.connectOnce(host).catch((e: Error) => ({ kind: 'failed' as const, why: e.message }));
      if (TERMINAL.has(this._state)) break;
      if (outcome.kind === 'expired') {
        this.end('expired');
        break;
      }
      if (outcome.kind === 'served') failedInARow = 0;
      else failedInARow++;
      const served = outcome.kind === 'served';
      // Client-side expiry: no server has answered for the whole session timeout. (A session only
      // read-only servers granted is not continued anyway: the next read-write server grants a new one.)
      if (this.seenRw && this._timeout > 0 && performance.now() - this.lastHeard > this._timeout) {
        this.end('expired');
        break;
      }
      if (this._state !== 'connecting') this.setState('disconnected');
      this.hostAt = this.nextHost ?? (this.hostAt + 1) % this.hosts.length;
      this.nextHost = null;
      // After a whole round of servers failed, wait a little (at most a second) before the next.
      if (failedInARow > 0 && failedInARow % this.hosts.length === 0) await this.pause(Math.min(1000, 50 * failedInARow + Math.random() * 100));
      // After a connection that served, a random short wait (as ZooKeeper's own client, up to a
      // second): clients of a failed server do not all arrive at once, and a client whose session
      // was taken over elsewhere does not snatch it back before the other has used it.
      else if (served) await this.pause(Math.random() * Math.min(1000, this._timeout / 10));
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  /** One connection's life: 'served' after a session was established on it, else why not. */
  private connectOnce(host: HostPort): Promise<{ kind: 'served' | 'failed' | 'expired'; why?: string }> {
    return new Promise((resolve) => {
      const socket = tcpConnect({ host: host.host, port: host.port, noDelay: true });
      this.socket = socket;
      const frames = new FrameReader(1 << 26);
      let handshaken = false;
      let outcome: { kind: 'served' | 'failed' | 'expired'; why?: string } = { kind: 'failed', why: 'closed before the handshake' };
      const connectTimeout = this.o.connectTimeout ?? Math.max(1000, Math.floor(this.o.sessionTimeout / this.hosts.length));
      let timer: NodeJS.Timeout | undefined = setTimeout(() => {
        outcome = { kind: 'failed', why: 'connect timeout' };
        socket.destroy();
      }, connectTimeout);
      let ping: NodeJS.Timeout | undefined;
      let lastSent = performance.now();
      let lastRecv = performance.now();
      const write = (b: Uint8Array) => {
        lastSent = performance.now();
        writeBatched(socket, b, TOGETHER);
      };
      socket.on('connect', () => {
        write(
          encodeConnectRequest({
            protocolVersion: 0,
            lastZxidSeen: this._lastZxid,
            timeOut: this.o.sessionTimeout,
            // A session a read-only server gave is unknown to the others: ask a read-write one for a new session.
            sessionId: this.seenRw ? this._sessionId : 0n,
            passwd: this.seenRw ? this.passwd : new Uint8Array(16),
            readOnly: this.o.readOnly,
          }),
        );
      });
      socket.on('data', (chunk) => {
        const r = frames.push(chunk);
        if (!r.ok) {
          socket.destroy();
          return;
        }
        lastRecv = performance.now();
        this.lastHeard = lastRecv;
        for (const f of r.frames) {
          if (socket.destroyed) return;
          if (!handshaken) {
            handshaken = true;
            clearTimeout(timer);
            timer = undefined;
            const c = decodeConnectResponse(f);
            if (!c.ok) {
              socket.destroy();
              return;
            }
            if (c.value.timeOut <= 0) {
              outcome = { kind: 'expired' };
              socket.destroy();
              return;
            }
            this._sessionId = c.value.sessionId;
            this.passwd = c.value.passwd ?? new Uint8Array(16);
            this._timeout = c.value.timeOut;
            outcome = { kind: 'served' };
            const readTimeout = (this._timeout * 2) / 3;
            ping = setInterval(() => {
              const now = performance.now();
              if (now - lastRecv > readTimeout) socket.destroy(); // the server is gone: move on
              else if (now - lastSent > readTimeout / 2) write(encodeRequest(Xid.PING, { op: 'ping' }));
            }, Math.max(10, Math.floor(readTimeout / 4)));
            void this.established(socket, write, c.value.readOnly === true);
            continue;
          }
          this.onFrame(f, socket);
        }
      });
      socket.on('error', (e) => {
        if (!handshaken) outcome = { kind: 'failed', why: e.message };
      });
      socket.on('close', () => {
        clearTimeout(timer);
        clearInterval(ping);
        if (this.socket === socket) this.socket = null;
        // What was in flight may or may not have happened: ConnectionLoss (ZooKeeper's rule).
        const lost = this.inflight;
        this.inflight = [];
        for (const p of lost) if (!p.dropped) p.fail(new ConnectionLossError(p.path));
        resolve(outcome);
      });
    });
  }

  /** After the handshake: credentials, SASL, the watches again, then the queued calls. */
  private async established(socket: Socket, write: (b: Uint8Array) => void, readOnly: boolean): Promise<void> {
    for (const a of this.auths) write(encodeRequest(Xid.AUTH, { op: 'auth', type: 0, scheme: a.scheme, auth: a.auth }));
    if (this.o.sasl) {
      try {
        await this.saslExchange(socket, write, this.o.sasl);
      } catch {
        if (!socket.destroyed) this.end('authFailed');
        return;
      }
    }
    this.sendSetWatches(write);
    if (socket.destroyed || TERMINAL.has(this._state)) return;
    if (!readOnly) this.seenRw = true;
    this.setState(readOnly ? 'connectedReadOnly' : 'connected');
    this.flush();
    if (readOnly) this.probeReadWrite(socket);
  }

  /** While read-only, ask the other servers (`isro`, backing off to a minute) for one that can write, and move there. */
  private probeReadWrite(socket: Socket): void {
    let delay = 200;
    const tick = async () => {
      for (let k = 1; k < this.hosts.length; k++) {
        if (socket.destroyed || this._state !== 'connectedReadOnly') return;
        const i = (this.hostAt + k) % this.hosts.length;
        const h = this.hosts[i]!;
        if ((await askWord(h.host, h.port, 'isro', 1000).catch(() => '')) === 'rw' && !socket.destroyed && this._state === 'connectedReadOnly') {
          this.nextHost = i;
          socket.destroy();
          return;
        }
      }
      delay = Math.min(delay * 2, 60000);
      setTimeout(tick, delay).unref();
    };
    setTimeout(tick, delay).unref();
  }

  private async saslExchange(socket: Socket, write: (b: Uint8Array) => void, cred: { username: string; password: string }): Promise<void> {
    const step = (token: Uint8Array) =>
      new Promise<Uint8Array>((resolve, reject) => {
        const xid = this.xid++;
        this.inflight.push({
          xid,
          frame: new Uint8Array(0),
          path: undefined,
          dropped: false,
          fail: reject,
          settle: (err, body) => (err ? reject(errorFor(err)) : resolve(OPS.sasl.response.read(body).token ?? new Uint8Array(0))),
        });
        write(encodeRequest(xid, { op: 'sasl', token }));
      });
    const challenge = parseDirectives(Buffer.from(await step(new Uint8Array(0))).toString('utf8'));
    const realm = challenge.get('realm') ?? 'zk-sasl-md5';
    const nonce = challenge.get('nonce') ?? '';
    const cnonce = randomBytes(16).toString('base64');
    const fields = { user: cred.username, realm, password: cred.password, nonce, cnonce, nc: '00000001', uri: `zookeeper/${realm}` };
    const response = `charset=utf-8,username="${cred.username}",realm="${realm}",nonce="${nonce}",nc=00000001,cnonce="${cnonce}",digest-uri="${fields.uri}",maxbuf=65536,response=${digestMd5(fields, 'AUTHENTICATE')},qop=auth`;
    const last = parseDirectives(Buffer.from(await step(Buffer.from(response))).toString('utf8'));
    if (last.get('rspauth') !== digestMd5(fields, '')) {
      socket.destroy();
      throw new Error('the server did not prove it knows the password');
    }
  }

  private sendSetWatches(write: (b: Uint8Array) => void): void {
    if (this.watches.size === 0) return;
    const srv = (ps: string[]) => ps.map((p) => toServer(this.chroot, p));
    const lists = {
      dataWatches: srv(this.watches.paths('data')),
      existWatches: srv(this.watches.paths('exist')),
      childWatches: srv(this.watches.paths('child')),
      persistentWatches: srv(this.watches.paths('persistent')),
      persistentRecursiveWatches: srv(this.watches.paths('persistentRecursive')),
    };
    const persistent = lists.persistentWatches.length + lists.persistentRecursiveWatches.length > 0;
    // Packets of bounded size, each list's paths in order (as ZooKeeper's client).
    const keys = Object.keys(lists) as (keyof typeof lists)[];
    const queue = keys.flatMap((k) => lists[k].map((p) => [k, p] as const));
    while (queue.length) {
      const chunk = { dataWatches: [] as string[], existWatches: [] as string[], childWatches: [] as string[], persistentWatches: [] as string[], persistentRecursiveWatches: [] as string[] };
      let size = 0;
      while (queue.length && (size === 0 || size + queue[0]![1].length <= SET_WATCHES_MAX)) {
        const [k, p] = queue.shift()!;
        chunk[k].push(p);
        size += p.length;
      }
      const request: Request = persistent
        ? { op: 'setWatches2', relativeZxid: this._lastZxid, ...chunk }
        : { op: 'setWatches', relativeZxid: this._lastZxid, dataWatches: chunk.dataWatches, existWatches: chunk.existWatches, childWatches: chunk.childWatches };
      write(encodeRequest(Xid.SET_WATCHES, request as Exclude<Request, { op: 'unknown' }>));
    }
  }

  private onFrame(f: Uint8Array, socket: Socket): void {
    const h = decodeReplyHeader(f);
    if (!h.ok) {
      socket.destroy();
      return;
    }
    const { xid, zxid, err, body } = h.value;
    if (xid === Xid.NOTIFICATION) {
      const e = WatcherEvent.read(body);
      const type = EVENT_TYPES.get(e.type);
      if (!type) return; // a state event (type -1) is the server's own business
      const path = fromServer(this.chroot, e.path);
      this.deliver([...this.watches.fire(type, path)], { type, path });
      return;
    }
    if (zxid > this._lastZxid) this._lastZxid = zxid;
    if (xid === Xid.PING || xid === Xid.SET_WATCHES) return;
    if (xid === Xid.AUTH) {
      if (err !== 0) this.end('authFailed');
      return;
    }
    const p = this.inflight.shift();
    if (!p || p.xid !== xid) {
      // Out of order: this connection cannot be trusted; what was in flight is lost.
      if (p) this.inflight.unshift(p);
      socket.destroy();
      return;
    }
    if (p.dropped) return;
    try {
      p.settle(err, body);
    } catch (e) {
      p.fail(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private deliver(ws: Watcher[], e: WatchEvent): void {
    for (const w of ws) {
      try {
        w(e);
      } catch (err) {
        // A watcher's own error must not break the connection: report it as Node reports listener errors.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  private flush(): void {
    const s = this.socket;
    if (!s || !(this._state === 'connected' || this._state === 'connectedReadOnly')) return;
    const out = this.outgoing;
    this.outgoing = [];
    for (const p of out) {
      if (p.dropped) continue;
      this.inflight.push(p);
      writeBatched(s, p.frame, TOGETHER);
    }
  }

  private end(state: 'expired' | 'authFailed' | 'closed'): void {
    if (TERMINAL.has(this._state)) return;
    const err = () => (state === 'expired' ? new SessionExpiredError() : state === 'authFailed' ? errorFor(-115) : new ClientClosedError());
    const all = [...this.inflight, ...this.outgoing];
    this.inflight = [];
    this.outgoing = [];
    this.setState(state);
    for (const p of all) if (!p.dropped) p.fail(err());
    for (const l of this.enders) l(err());
    this.enders.clear();
    this.endedBy.abort(err());
    this.watches.clear();
    this.socket?.destroy();
    this.wake?.();
  }

  /** Told when the session ends (watch iterators end with it). */
  private readonly enders = new Set<(e: Error) => void>();
  private readonly endedBy = new AbortController();

  /**
   * Aborts when the session ends (expired, closed, auth failed), with the matching error as its
   * reason: a wait on a watch that can no longer fire ends with it (pass it, or AbortSignal.any of it and yours).
   */
  get ended(): AbortSignal {
    return this.endedBy.signal;
  }

  // ---------------------------------------------------------------- calls

  /** Sends one request; `parse` turns a successful reply into the result. */
  private request<T>(build: (srv: ToServer) => Exclude<Request, { op: 'unknown' }>, path: string | undefined, parse: (body: Reader, err: number) => T, o: CallOptions = {}, okCodes: readonly number[] = []): Promise<T> {
    if (TERMINAL.has(this._state)) return Promise.reject(this._state === 'expired' ? new SessionExpiredError(path) : this._state === 'authFailed' ? errorFor(-115, path) : new ClientClosedError());
    const srv: ToServer = (p, sequential = false) => {
      // A sequential node's name gets its counter: `/a/` is a valid prefix for one (as ZooKeeper's client checks it).
      const problem = pathProblem(sequential ? `${p}1` : p);
      if (problem) throw new InvalidPathError(p, problem);
      return toServer(this.chroot, p);
    };
    let request: Exclude<Request, { op: 'unknown' }>;
    try {
      request = build(srv);
    } catch (e) {
      return Promise.reject(e);
    }
    if (o.signal?.aborted) return Promise.reject(o.signal.reason);
    return new Promise<T>((resolve, reject) => {
      const timeout = o.timeout ?? this.o.requestTimeout;
      let timer: NodeJS.Timeout | undefined;
      const cleanup = () => {
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
      };
      const xid = this.xid++;
      const p: Pending = {
        xid,
        frame: encodeRequest(xid, request),
        path,
        dropped: false,
        settle: (err, body) => {
          cleanup();
          if (err !== 0 && !okCodes.includes(err)) reject(errorFor(err, path));
          else resolve(parse(body, err));
        },
        fail: (e) => {
          cleanup();
          reject(e);
        },
      };
      const drop = (e: Error) => {
        p.dropped = true;
        this.outgoing = this.outgoing.filter((x) => x !== p);
        cleanup();
        reject(e);
      };
      const onAbort = () => drop(o.signal!.reason instanceof Error ? o.signal!.reason : new Error(String(o.signal!.reason)));
      if (timeout !== undefined) timer = setTimeout(() => drop(new OperationTimeoutError(path)), timeout);
      o.signal?.addEventListener('abort', onAbort, { once: true });
      this.outgoing.push(p);
      this.flush();
    });
  }

  /** Calls that are safe to repeat go through this: the retry policy applies. */
  private async retrying<T>(f: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await f();
      } catch (e) {
        if (attempt >= this.o.retry.attempts || !(e instanceof ConnectionLossError || e instanceof OperationTimeoutError)) throw e;
        await sleep(this.o.retry.delayMs * (attempt + 1));
      }
    }
  }

  private simple<K extends SimpleOp, T>(op: K, body: (srv: ToServer) => object, path: string | undefined, parse: (r: Reader) => T, o?: CallOptions): Promise<T> {
    return this.request((srv) => ({ op, ...body(srv) }) as Exclude<Request, { op: 'unknown' }>, path, (r) => parse(r), o);
  }

  /** Creates a node: its path (with the sequence suffix) and Stat. */
  create(path: string, data: Data = null, options: CreateOptions & CallOptions = {}): Promise<{ path: string; stat: Stat }> {
    const mode = options.mode ?? 'persistent';
    const code = createOpcode(mode, false);
    if (code === 21 && !(options.ttl && options.ttl > 0)) return Promise.reject(new ZooKeeperError(-8, 'BadArguments', `${path}: mode ${mode} needs a ttl > 0`));
    const acl = [...(options.acl ?? OPEN_ACL_UNSAFE)];
    if (acl.length === 0) return Promise.reject(new InvalidACLError()); // refused before sending, as ZooKeeper's client does
    const base = (srv: ToServer) => ({ path: srv(path, isSequential(mode)), data: bytes(data), acl, flags: CREATE_FLAGS[mode] });
    const op = code === 19 ? 'createContainer' : code === 21 ? 'createTTL' : 'create2';
    return this.request(
      (srv) => ({ op, ...base(srv), ...(code === 21 ? { ttl: BigInt(options.ttl!) } : {}) }) as Exclude<Request, { op: 'unknown' }>,
      path,
      (r) => {
        const v = OPS.create2.response.read(r);
        return { path: fromServer(this.chroot, v.path), stat: toStat(v.stat) };
      },
      options,
    );
  }

  delete(path: string, options: { version?: number } & CallOptions = {}): Promise<void> {
    return this.simple('delete', (srv) => ({ path: srv(path), version: options.version ?? -1 }), path, () => undefined, options);
  }

  /** The node's Stat, or null if there is none; `watch` hears its creation, change or deletion. */
  exists(path: string, options: { watch?: Watcher } & CallOptions = {}): Promise<Stat | null> {
    const w = options.watch;
    return this.retrying(() =>
      this.request(
        (srv) => ({ op: 'exists', path: srv(path), watch: !!w }),
        path,
        (r, err) => {
          if (err === -101) {
            if (w) this.watches.add('exist', path, w);
            return null;
          }
          if (w) this.watches.add('data', path, w);
          return toStat(OPS.exists.response.read(r).stat);
        },
        options,
        [-101],
      ),
    );
  }

  /** The node's value and Stat (`nullData`: it has no value at all, as a node created without data; `data` is then empty). */
  getData(path: string, options: { watch?: Watcher } & CallOptions = {}): Promise<NodeData> {
    return this.readData(path, (srv) => srv(path), options);
  }

  setData(path: string, data: Data, options: { version?: number } & CallOptions = {}): Promise<Stat> {
    return this.simple('setData', (srv) => ({ path: srv(path), data: bytes(data), version: options.version ?? -1 }), path, (r) => toStat(OPS.setData.response.read(r).stat), options);
  }

  /** The ensemble's configuration (/zookeeper/config, read past any chroot) and its Stat; `watch` hears it change. */
  getConfig(options: { watch?: Watcher } & CallOptions = {}): Promise<NodeData> {
    return this.readData('/zookeeper/config', () => '/zookeeper/config', options);
  }

  /** A getData of `path` (sent as `serverPath` gives it), its watch registered under `path`. */
  private readData(path: string, serverPath: (srv: ToServer) => string, options: { watch?: Watcher } & CallOptions): Promise<NodeData> {
    const w = options.watch;
    return this.retrying(() =>
      this.request(
        (srv) => ({ op: 'getData', path: serverPath(srv), watch: !!w }),
        path,
        (r) => {
          const v = OPS.getData.response.read(r);
          if (w) this.watches.add('data', path, w);
          return { data: Buffer.from(v.data ?? new Uint8Array(0)), stat: toStat(v.stat), nullData: v.data === null };
        },
        options,
      ),
    );
  }


  /** The children's names (sorted, as a convenience) and the parent's Stat; `watch` hears a child created or deleted, or the node deleted. */
  getChildren(path: string, options: { watch?: Watcher } & CallOptions = {}): Promise<{ children: string[]; stat: Stat }> {
    const w = options.watch;
    return this.retrying(() =>
      this.simple('getChildren2', (srv) => ({ path: srv(path), watch: !!w }), path, (r) => {
        const v = OPS.getChildren2.response.read(r);
        if (w) this.watches.add('child', path, w);
        return { children: v.children.sort(), stat: toStat(v.stat) };
      }, options),
    );
  }

  getACL(path: string, options: CallOptions = {}): Promise<{ acl: ACL[]; stat: Stat }> {
    return this.retrying(() => this.simple('getACL', (srv) => ({ path: srv(path) }), path, (r) => {
      const v = OPS.getACL.response.read(r);
      return { acl: v.acl, stat: toStat(v.stat) };
    }, options));
  }

  setACL(path: string, acl: readonly ACL[], options: { version?: number } & CallOptions = {}): Promise<Stat> {
    if (acl.length === 0) return Promise.reject(new InvalidACLError());
    return this.simple('setACL', (srv) => ({ path: srv(path), acl: [...acl], version: options.version ?? -1 }), path, (r) => toStat(OPS.setACL.response.read(r).stat), options);
  }

  /** Waits until the server this client talks to has every write the leader had committed when it asked. */
  sync(path = '/', options: CallOptions = {}): Promise<void> {
    return this.retrying(() => this.simple('sync', (srv) => ({ path: srv(path) }), path, () => undefined, options));
  }

  /** All the writes or none; the results are typed by the ops. A failure throws MultiError with every op's code. */
  async multi<const Os extends readonly WriteOp[]>(ops: Os, options: CallOptions = {}): Promise<ResultsOf<Os>> {
    const results = await this.request((srv) => ({ op: 'multi', ops: ops.map((o) => this.multiOp(o, srv)) }), undefined, (r) => MultiResponse.read(r), options);
    const failed = results.findIndex((x) => x.type === -1 && x.body.err !== 0);
    if (failed >= 0) {
      const codes = results.map((x) => ({ code: x.type === -1 ? x.body.err : 0 }));
      throw new MultiError(failed, codes, errorFor(codes[failed]!.code, ops[failed]?.path));
    }
    return results.map((x, i) => this.multiResult(x, ops[i]!)) as ResultsOf<Os>;
  }

  /** Several reads at one point of the server's history; each op's result or its own error. */
  async multiRead<const Os extends readonly ReadOp[]>(ops: Os, options: CallOptions = {}): Promise<ResultsOf<Os>> {
    const results = await this.retrying(() =>
      this.request((srv) => ({ op: 'multiRead', ops: ops.map((o) => ({ type: o.type === 'getData' ? 4 : 8, body: { path: srv(o.path), watch: false } }) as MultiOp) }), undefined, (r) => MultiResponse.read(r), options),
    );
    return results.map((x, i) => this.multiResult(x, ops[i]!)) as ResultsOf<Os>;
  }

  private multiOp(o: WriteOp, srv: ToServer): MultiOp {
    switch (o.type) {
      case 'create': {
        const mode = o.options.mode ?? 'persistent';
        const type = createOpcode(mode, true);
        const body = { path: srv(o.path, isSequential(mode)), data: bytes(o.data), acl: [...(o.options.acl ?? OPEN_ACL_UNSAFE)], flags: CREATE_FLAGS[mode] };
        if (type === 21) {
          if (!(o.options.ttl && o.options.ttl > 0)) throw new ZooKeeperError(-8, 'BadArguments', `${o.path}: mode ${mode} needs a ttl > 0`);
          return { type, body: { ...body, ttl: BigInt(o.options.ttl) } };
        }
        return { type, body };
      }
      case 'delete':
        return { type: 2, body: { path: srv(o.path), version: o.version } };
      case 'setData':
        return { type: 5, body: { path: srv(o.path), data: bytes(o.data), version: o.version } };
      case 'check':
        return { type: 13, body: { path: srv(o.path), version: o.version } };
    }
  }

  private multiResult(x: MultiResult, o: WriteOp | ReadOp): unknown {
    switch (x.type) {
      case 1:
        return { type: 'create', path: fromServer(this.chroot, x.body.path) };
      case 15:
        return { type: 'create', path: fromServer(this.chroot, x.body.path), stat: toStat(x.body.stat) };
      case 2:
        return { type: 'delete' };
      case 13:
        return { type: 'check' };
      case 5:
        return { type: 'setData', stat: toStat(x.body.stat) };
      case 4:
        return { type: 'getData', data: Buffer.from(x.body.data ?? new Uint8Array(0)), stat: toStat(x.body.stat) };
      case 8:
        return { type: 'getChildren', children: x.body.children.sort() };
      case -1:
        return { type: 'error', error: errorFor(x.body.err, o.path) };
    }
  }

  /** The paths of this session's ephemeral nodes (under `prefix`, if given). */
  getEphemerals(prefix = '/', options: CallOptions = {}): Promise<string[]> {
    return this.retrying(() => this.simple('getEphemerals', (srv) => ({ prefixPath: srv(prefix) }), prefix, (r) => OPS.getEphemerals.response.read(r).ephemerals.map((p) => fromServer(this.chroot, p)), options));
  }

  /** How many nodes are below `path` (all depths). */
  getAllChildrenNumber(path: string, options: CallOptions = {}): Promise<number> {
    return this.retrying(() => this.simple('getAllChildrenNumber', (srv) => ({ path: srv(path) }), path, (r) => OPS.getAllChildrenNumber.response.read(r).totalNumber, options));
  }

  /** A watch that stays: on the node (persistent) or on its whole subtree (persistentRecursive). */
  addWatch(path: string, mode: 'persistent' | 'persistentRecursive', watcher: Watcher, options: CallOptions = {}): Promise<void> {
    return this.retrying(() =>
      this.simple('addWatch', (srv) => ({ path: srv(path), mode: mode === 'persistent' ? 0 : 1 }), path, () => {
        this.watches.add(mode, path, watcher);
      }, options),
    );
  }

  /**
   * Removes watches at `path` (only `watcher` if given), on the server and here; each removed
   * watcher hears a *WatchRemoved event. `local`: remove them here even if the server cannot be asked.
   */
  async removeWatches(path: string, type: WatcherType, options: { watcher?: Watcher; local?: boolean } & CallOptions = {}): Promise<void> {
    if (!this.watches.holds(path, type, options.watcher)) throw errorFor(-121, path);
    // The server removes by type; when other watchers of ours still need that type there, keep it there.
    const others = options.watcher !== undefined && this.watches.heldByOthers(path, type, options.watcher);
    if (!others) {
      try {
        await this.simple('removeWatches', (srv) => ({ path: srv(path), type: WATCHER_TYPE_CODES[type] }), path, () => undefined, options);
      } catch (e) {
        if (!(options.local && (e instanceof ConnectionLossError || e instanceof OperationTimeoutError || e instanceof ZooKeeperError))) throw e;
      }
    }
    for (const r of this.watches.remove(path, type, options.watcher)) this.deliver([r.watcher], { type: r.event, path });
  }

  /** Throws NoWatcher unless a watch of `type` is set at `path` (here and on the server). */
  async checkWatches(path: string, type: WatcherType, options: CallOptions = {}): Promise<void> {
    if (!this.watches.holds(path, type)) throw errorFor(-121, path);
    await this.simple('checkWatches', (srv) => ({ path: srv(path), type: WATCHER_TYPE_CODES[type] }), path, () => undefined, options);
  }

  /** The ids this connection is authenticated as. */
  whoAmI(options: CallOptions = {}): Promise<{ scheme: string; id: string }[]> {
    return this.retrying(() => this.simple('whoAmI', () => ({}), undefined, (r) => OPS.whoAmI.response.read(r).clientInfo.map((c) => ({ scheme: c.authScheme, id: c.user })), options));
  }

  /** Changes the ensemble's membership (incremental: joining/leaving; or newMembers). The new config and its Stat. */
  reconfig(change: { joining?: readonly string[]; leaving?: readonly string[]; newMembers?: readonly string[]; fromConfig?: bigint }, options: CallOptions = {}): Promise<{ config: string; stat: Stat }> {
    return this.simple(
      'reconfig',
      () => ({ joiningServers: (change.joining ?? []).join(','), leavingServers: (change.leaving ?? []).join(','), newMembers: (change.newMembers ?? []).join(','), curConfigId: change.fromConfig ?? -1n }),
      undefined,
      (r) => {
        const v = OPS.reconfig.response.read(r);
        return { config: Buffer.from(v.data ?? new Uint8Array(0)).toString('utf8'), stat: toStat(v.stat) };
      },
      options,
    );
  }

  /**
   * Adds credentials to this connection (and every later one). Resolves once the server took
   * them; a refusal ends the session with authFailed, as ZooKeeper's does.
   */
  async addAuth(scheme: string, auth: Data): Promise<void> {
    const a = { scheme, auth: bytes(auth) ?? new Uint8Array(0) };
    this.auths.push(a);
    if (this.socket && (this._state === 'connected' || this._state === 'connectedReadOnly')) {
      this.socket.write(encodeRequest(Xid.AUTH, { op: 'auth', type: 0, scheme: a.scheme, auth: a.auth }));
      // Replies come in order: a sync's answer means the auth was taken (a refusal ends the session first).
      await this.request(() => ({ op: 'sync', path: '/' }), undefined, () => undefined).catch((e: Error) => {
        throw this._state === 'authFailed' ? errorFor(-115) : e;
      });
    }
  }

  /** Persistent watch events as an async iterator: ends when the loop breaks (the watch is removed) or the session ends (it throws). */
  watch(path: string, options: { mode?: 'persistent' | 'persistentRecursive' } & CallOptions = {}): AsyncIterable<WatchEvent> {
    const mode = options.mode ?? 'persistent';
    const client = this; // eslint-disable-line @typescript-eslint/no-this-alias
    return {
      [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
        const queue: WatchEvent[] = [];
        let waiting: { resolve: (r: IteratorResult<WatchEvent>) => void; reject: (e: Error) => void } | null = null;
        let failure: Error | null = null;
        let finished = false;
        const watcher: Watcher = (e) => {
          if (e.type === 'persistentWatchRemoved') return finish();
          if (waiting) {
            const w = waiting;
            waiting = null;
            w.resolve({ value: e, done: false });
          } else queue.push(e);
        };
        const ender = (e: Error) => {
          failure = e;
          if (waiting) {
            const w = waiting;
            waiting = null;
            w.reject(e);
          }
        };
        const finish = () => {
          finished = true;
          client.enders.delete(ender);
          if (waiting) {
            const w = waiting;
            waiting = null;
            w.resolve({ value: undefined, done: true });
          }
        };
        client.enders.add(ender);
        const added = client.addWatch(path, mode, watcher, options);
        added.catch(ender);
        const it: AsyncIterator<WatchEvent> = {
          async next() {
            await added;
            if (queue.length) return { value: queue.shift()!, done: false };
            if (failure) throw failure;
            if (finished) return { value: undefined, done: true };
            return new Promise((resolve, reject) => (waiting = { resolve, reject }));
          },
          async return() {
            if (!finished) {
              finish();
              if (client.watches.has(mode, path, watcher) && !TERMINAL.has(client._state)) {
                await client.removeWatches(path, 'any', { watcher, local: true }).catch(() => undefined);
              }
            }
            return { value: undefined, done: true };
          },
        };
        options.signal?.addEventListener('abort', () => void it.return!(), { once: true });
        return it;
      },
    };
  }

  /** Ends the session (its ephemeral nodes go at once) and the connection. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      // As ZooKeeper's own client: a live session is ended at the server (its ephemeral nodes go
      // now, not a session timeout later), after a reconnect if the connection is down just now.
      const live = this._state === 'connected' || this._state === 'connectedReadOnly';
      if (live || (this.seenRw && !TERMINAL.has(this._state))) {
        await this.waitConnected(this._timeout)
          .then(() => this.request(() => ({ op: 'closeSession' }), undefined, () => undefined, { timeout: Math.max(1000, this._timeout / 3) }))
          .catch(() => undefined);
      }
      this.end('closed');
    })();
    return this.closing;
  }
}

/** Connects and resolves once a session is established (rejects and closes if none within the session timeout). */
export async function connect(connectString: string, options: ClientOptions = {}): Promise<ZooKeeperClient> {
  const c = new ZooKeeperClient(connectString, options);
  try {
    await c.waitConnected();
  } catch (e) {
    await c.close();
    throw e;
  }
  return c;
}
