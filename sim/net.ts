// The simulated network: TCP-like streams between simulated processes. Each direction of a
// connection is a FIFO pipe with its own delay per write (drawn from the seed, never reordering
// within the pipe; two connections, as a server's election and quorum channels, reorder freely).
// Faults: a cut link (one way or both) holds what crosses it, as TCP retransmits, and refuses new
// connections across it; a reset closes a connection at both ends, losing what was in flight; a
// killed process's connections are reset; a frozen process reads nothing until it resumes.
import type { ListenerLike, Net, SocketLike } from '../src/shell/env.ts';
import type { Random } from './random.ts';
import type { Proc, Scheduler } from './scheduler.ts';

export interface NetOptions {
  /** One-way delay of a write, in ms: drawn in [min, max], with a rare long tail. */
  readonly minDelay: number;
  readonly maxDelay: number;
  /** Probability that a write takes up to ten times maxDelay (a retransmission). */
  readonly slowChance: number;
  /** How long a connect across a cut link waits before it fails (SYN retries). */
  readonly connectTimeout: number;
}

type Handler = (...args: never[]) => void;

interface Listening {
  readonly owner: Proc;
  readonly host: string;
  readonly accept: (s: SocketLike) => void;
}

export class SimSocket implements SocketLike {
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort: number;
  destroyed = false;
  /** Closing: nothing more is written. */
  private ending = false;
  peer: SimSocket | null = null;
  /** Writes before the connection was made. */
  private early: Uint8Array[] = [];
  /** The arrival time of the last thing sent (FIFO: none arrives before it). */
  private last = 0;
  /** Held by a cut link, in order. */
  blocked: (() => void)[] = [];
  private readonly handlers = new Map<string, Handler[]>();

  constructor(
    readonly net: SimNet,
    readonly owner: Proc,
    readonly host: string,
    /** The other end's port: an accepted socket sees its dialler's (local) port. */
    remotePort?: number,
  ) {
    net.sockets.add(this);
    this.remotePort = remotePort ?? net.nextPort++;
  }

  setNoDelay(): this {
    return this;
  }
  cork(): void {}
  uncork(): void {}

  on(event: string, listener: Handler): this {
    const hs = this.handlers.get(event) ?? [];
    hs.push(listener);
    this.handlers.set(event, hs);
    return this;
  }

  emit(event: string, ...args: unknown[]): void {
    for (const h of this.handlers.get(event) ?? []) (h as (...a: unknown[]) => void)(...args);
  }

  write(bytes: Uint8Array): boolean {
    if (this.destroyed || this.ending) return false;
    const copy = Buffer.from(bytes);
    if (!this.peer) this.early.push(copy);
    else this.transmit((to) => to.emit('data', copy));
    return true;
  }

  /** Graceful close: what was written arrives first, then both ends close. */
  end(): this {
    if (this.destroyed || this.ending) return this;
    this.ending = true;
    if (!this.peer) {
      this.early.push(new Uint8Array(0)); // the connection is made, then closed
      return this;
    }
    this.transmit((to) => {
      to.closeHere(false);
      this.net.sched.at(this.net.sched.now, this.owner, () => this.closeHere(false));
    });
    return this;
  }

  /**
   * Abortive close: this end closes now; the other learns of it after what was written before
   * (a reset travels the same path, behind the data: a request may reach a server after its
   * client gave up on the connection).
   */
  destroy(): this {
    if (this.destroyed) return this;
    const peer = this.peer;
    this.net.sched.at(this.net.sched.now, this.owner, () => this.closeHere(false));
    if (peer && !peer.destroyed && !this.ending) this.transmit((to) => to.closeHere(true), true);
    this.destroyed = true;
    return this;
  }

  /** This end is closed: 'error' for a reset, then 'close'. */
  closeHere(reset: boolean): void {
    if (this.handlers.has('closed!')) return;
    this.handlers.set('closed!', []);
    this.destroyed = true;
    if (this.blocked.length === 0) this.net.sockets.delete(this); // else kept until the link releases what it holds
    if (reset) this.emit('error', new Error('ECONNRESET (simulated)'));
    this.emit('close');
  }

  /** Connected to `peer`: the writes made before go now; nothing arrives before `from`. */
  paired(peer: SimSocket, from = this.net.sched.now): void {
    this.peer = peer;
    this.last = from;
    const early = this.early;
    this.early = [];
    for (const b of early) {
      if (b.length === 0) {
        this.ending = false;
        this.end();
      } else this.transmit((to) => to.emit('data', b));
    }
  }

  /** Writes sent on this socket that its peer has not read yet (held, on the way, or waiting in a frozen process). */
  unread = 0;

  private transmit(arrive: (to: SimSocket) => void, reset = false): void {
    const to = this.peer!;
    if (!reset) this.unread++;
    const send = () => {
      const at = Math.max(this.last, this.net.sched.now + this.net.delay(this.host, to.host));
      this.last = at;
      this.net.sched.at(at, to.owner, () => {
        if (!reset) this.unread--;
        if (!to.destroyed) arrive(to);
      });
    };
    if (this.blocked.length > 0 || this.net.isCut(this.host, to.host)) this.blocked.push(send);
    else send();
  }

  /** The link opened again: what it held goes, in order. */
  release(): void {
    if (!this.peer || this.net.isCut(this.host, this.peer.host)) return;
    const held = this.blocked;
    this.blocked = [];
    for (const send of held) send();
    if (this.destroyed) this.net.sockets.delete(this);
  }
}

class SimListener implements ListenerLike {
  private key: string | null = null;
  private readonly errors: ((e: Error) => void)[] = [];
  private port = 0;

  constructor(
    private readonly net: SimNet,
    private readonly owner: Proc,
    private readonly host: string,
    private readonly accept: (s: SocketLike) => void,
  ) {}

  listen(port: number, address: string, done: () => void): this {
    const key = `${address}:${port}`;
    const taken = this.net.listeners.get(key);
    if (taken && taken.owner.alive) {
      this.net.sched.at(this.net.sched.now, this.owner, () => this.errors.forEach((f) => f(new Error(`EADDRINUSE ${key} (simulated)`))));
      return this;
    }
    this.key = key;
    this.port = port;
    this.net.listeners.set(key, { owner: this.owner, host: this.host, accept: this.accept });
    this.net.sched.at(this.net.sched.now, this.owner, done);
    return this;
  }

  once(_event: 'error', listener: (e: Error) => void): this {
    this.errors.push(listener);
    return this;
  }

  close(done: () => void): this {
    if (this.key && this.net.listeners.get(this.key)?.owner === this.owner) this.net.listeners.delete(this.key);
    this.key = null;
    this.net.sched.at(this.net.sched.now, this.owner, done);
    return this;
  }

  address(): { port: number } {
    return { port: this.port };
  }
}

export class SimNet {
  readonly listeners = new Map<string, Listening>();
  readonly sockets = new Set<SimSocket>();
  nextPort = 40000;
  /** Cut links, one way: `from>to` by host. */
  private readonly cuts = new Set<string>();

  constructor(
    readonly sched: Scheduler,
    private readonly random: Random,
    public options: NetOptions,
  ) {}

  /** Extra delay on a directed host pair for a while (a congested path), by `from>to`. */
  private readonly spikes = new Map<string, { readonly ms: number; readonly until: number }>();

  delay(from?: string, to?: string): number {
    const { minDelay, maxDelay, slowChance } = this.options;
    const d = this.random.int(minDelay, maxDelay);
    const spike = from === undefined ? undefined : this.spikes.get(`${from}>${to}`);
    const extra = spike && spike.until > this.sched.now ? spike.ms : 0;
    return extra + (this.random.chance(slowChance) ? d + this.random.int(maxDelay, 10 * maxDelay) : d);
  }

  /** Writes from `from` to `to` take `ms` longer until `until`. */
  spike(from: string, to: string, ms: number, until: number): void {
    this.spikes.set(`${from}>${to}`, { ms, until });
  }

  /** Is anything written by `from` still unread anywhere? */
  unreadFrom(from: string): boolean {
    for (const s of this.sockets) if (s.host === from && s.peer && s.unread > 0 && !s.destroyed && !s.peer.destroyed) return true;
    return false;
  }

  isCut(from: string, to: string): boolean {
    return this.cuts.has(`${from}>${to}`);
  }

  anyCut(): boolean {
    return this.cuts.size > 0;
  }

  cut(from: string, to: string): void {
    this.cuts.add(`${from}>${to}`);
  }

  heal(): void {
    this.cuts.clear();
    this.spikes.clear();
    for (const s of [...this.sockets]) s.release();
  }

  /** The network breaks this connection: each end sees a reset; what was in flight is lost. */
  reset(s: SimSocket): void {
    const peer = s.peer;
    for (const end of peer ? [s, peer] : [s]) {
      if (end.destroyed) continue;
      end.destroyed = true;
      this.sched.after(this.delay(), end.owner, () => end.closeHere(true));
    }
  }

  /** A killed process: the kernel resets its connections (the other ends learn of it after a delay). */
  killed(p: Proc): void {
    for (const s of [...this.sockets]) {
      if (s.owner !== p) continue;
      s.destroyed = true;
      this.sockets.delete(s);
      const peer = s.peer;
      if (peer && !peer.destroyed) this.sched.after(this.delay(), peer.owner, () => peer.closeHere(true));
    }
    for (const [k, l] of this.listeners) if (l.owner === p) this.listeners.delete(k);
  }

  /** The network as process `owner`, on host `host`, sees it. */
  view(owner: Proc, host: string): Net {
    return {
      createServer: (accept) => new SimListener(this, owner, host, accept),
      connect: (to) => this.connect(owner, host, `${to.host}:${to.port}`),
    };
  }

  private connect(owner: Proc, host: string, key: string): SimSocket {
    const a = new SimSocket(this, owner, host);
    this.sched.after(this.delay(), null, () => {
      const l = this.listeners.get(key);
      const fail = (after: number, why: string) =>
        this.sched.after(after, owner, () => {
          if (a.destroyed) return;
          a.destroyed = true;
          this.sockets.delete(a);
          a.emit('error', new Error(`${why} ${key} (simulated)`));
          a.emit('close');
        });
      if (a.destroyed) return;
      if (!l || !l.owner.alive) return void fail(this.delay(), 'ECONNREFUSED');
      if (this.isCut(host, l.host) || this.isCut(l.host, host)) return void fail(this.options.connectTimeout, 'ETIMEDOUT');
      const b = new SimSocket(this, l.owner, l.host, a.remotePort);
      const connectAt = this.sched.now + this.delay();
      this.sched.at(connectAt, null, () => {
        if (a.destroyed || !owner.alive) return void this.reset(b); // the dialler is gone: its kernel answers with a reset
        a.paired(b);
        a.emit('connect');
      });
      b.paired(a, connectAt); // nothing the server writes arrives before the client knows it is connected
      this.sched.at(this.sched.now, l.owner, () => l.accept(b));
    });
    return a;
  }
}
