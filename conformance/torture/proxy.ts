// The fault proxy on the peer links of a real ensemble (zabkit's or Apache ZooKeeper's): every
// server dials every other server's quorum and election ports through a port of the proxy's own
// on 127.0.0.1, one per ordered pair and channel, so the proxy sees every byte between servers and
// knows which server sent it. Faults, per direction of a pair:
//   cut    what crosses is held (as TCP retransmits into a network that drops it), new connections
//          too; a heal delivers it all in order, unless an end gave up on its connection first
//   delay  each chunk arrives this many ms later (order kept)
//   reset  every connection between two servers is closed at once, both ends (a dropped connection)
// Both systems get the same faults: the proxy knows nothing of either protocol.
import { connect, createServer, type Server, type Socket } from 'node:net';

export type Channel = 'quorum' | 'election';

export interface Endpoint {
  readonly id: number;
  /** The server's own quorum and election ports (where it listens). */
  readonly quorum: number;
  readonly election: number;
}

/** One direction of one proxied connection: chunks to `to`, held while cut, delayed by the link's delay. */
class Pipe {
  private readonly queue: (Buffer | null)[] = []; // null: the sender ended its side
  private busy = false;
  constructor(
    readonly from: number,
    readonly to: number,
    private readonly dest: Socket,
    private readonly proxy: FaultProxy,
  ) {}

  push(chunk: Buffer | null): void {
    this.queue.push(chunk);
    this.pump();
  }

  /** Send what may go now: nothing while the direction is cut; each chunk after the delay, in order. */
  pump(): void {
    if (this.busy) return;
    while (this.queue.length > 0 && !this.proxy.isCut(this.from, this.to) && !this.dest.destroyed) {
      const delay = this.proxy.delayOf(this.from, this.to);
      if (delay > 0) {
        this.busy = true;
        const t = setTimeout(() => {
          this.busy = false;
          this.send();
          this.pump();
        }, delay);
        t.unref();
        return;
      }
      this.send();
    }
  }

  private send(): void {
    if (this.proxy.isCut(this.from, this.to) || this.dest.destroyed) return;
    const chunk = this.queue.shift();
    if (chunk === undefined) return;
    if (chunk === null) this.dest.end();
    else this.dest.write(chunk);
  }
}

interface Conn {
  readonly a: number; // the dialling server
  readonly b: number; // the server dialled
  readonly sockets: readonly [Socket, Socket];
  readonly pipes: readonly [Pipe, Pipe];
}

const dir = (from: number, to: number) => `${from}>${to}`;

export class FaultProxy {
  private readonly listeners: Server[] = [];
  private readonly ports = new Map<string, number>();
  private readonly conns = new Set<Conn>();
  private readonly cuts = new Set<string>();
  private readonly delays = new Map<string, number>();
  /** Bytes carried per direction (`a>b`), for the report. */
  readonly carried = new Map<string, number>();

  /** Listen for every ordered pair and channel; resolves once every port is bound. */
  async start(servers: readonly Endpoint[]): Promise<void> {
    for (const from of servers) {
      for (const to of servers) {
        if (from.id === to.id) continue;
        for (const channel of ['quorum', 'election'] as const) {
          const target = channel === 'quorum' ? to.quorum : to.election;
          const listener = createServer({ allowHalfOpen: true }, (s) => this.accept(from.id, to.id, target, s));
          await new Promise<void>((resolve, reject) => {
            listener.once('error', reject);
            listener.listen(0, '127.0.0.1', () => resolve());
          });
          this.listeners.push(listener);
          this.ports.set(`${from.id}>${to.id}:${channel}`, (listener.address() as { port: number }).port);
        }
      }
    }
  }

  /** The port `from` dials to reach `to`'s `channel` port. */
  portFor(from: number, to: number, channel: Channel): number {
    const p = this.ports.get(`${from}>${to}:${channel}`);
    if (p === undefined) throw new Error(`no proxy port for ${from} → ${to} (${channel})`);
    return p;
  }

  isCut(from: number, to: number): boolean {
    return this.cuts.has(dir(from, to));
  }

  delayOf(from: number, to: number): number {
    return this.delays.get(dir(from, to)) ?? 0;
  }

  /** Hold what `from` sends to `to` (one direction) until healed. */
  cut(from: number, to: number): void {
    this.cuts.add(dir(from, to));
  }

  /** Both directions between every server of `a` and every server of `b`. */
  partition(a: readonly number[], b: readonly number[]): void {
    for (const x of a) for (const y of b) (this.cut(x, y), this.cut(y, x));
  }

  /** Every byte from `from` to `to` arrives `ms` later (0: no delay). */
  delay(from: number, to: number, ms: number): void {
    if (ms > 0) this.delays.set(dir(from, to), ms);
    else this.delays.delete(dir(from, to));
  }

  /** Close every connection between `x` and `y` at both ends now (a reset: what was held or in flight is lost). */
  reset(x: number, y: number): number {
    let n = 0;
    for (const c of [...this.conns]) {
      if ((c.a === x && c.b === y) || (c.a === y && c.b === x)) {
        for (const s of c.sockets) s.destroy();
        this.conns.delete(c);
        n++;
      }
    }
    return n;
  }

  /** Every cut and delay gone; what was held goes on its way. */
  heal(): void {
    this.cuts.clear();
    this.delays.clear();
    for (const c of this.conns) for (const p of c.pipes) p.pump();
  }

  async stop(): Promise<void> {
    for (const c of this.conns) for (const s of c.sockets) s.destroy();
    this.conns.clear();
    await Promise.all(this.listeners.map((l) => new Promise<void>((r) => l.close(() => r()))));
  }

  private accept(a: number, b: number, target: number, inbound: Socket): void {
    const outbound = connect({ host: '127.0.0.1', port: target, allowHalfOpen: true });
    inbound.setNoDelay(true);
    outbound.setNoDelay(true);
    const up = new Pipe(a, b, outbound, this);
    const down = new Pipe(b, a, inbound, this);
    const conn: Conn = { a, b, sockets: [inbound, outbound], pipes: [up, down] };
    this.conns.add(conn);
    const count = (k: string, n: number) => this.carried.set(k, (this.carried.get(k) ?? 0) + n);
    inbound.on('data', (d: Buffer) => (count(dir(a, b), d.length), up.push(d)));
    outbound.on('data', (d: Buffer) => (count(dir(b, a), d.length), down.push(d)));
    inbound.on('end', () => up.push(null));
    outbound.on('end', () => down.push(null));
    // An error (a refused dial: the server is down; a reset) ends both sides at once, as an RST does.
    const drop = () => {
      inbound.destroy();
      outbound.destroy();
      this.conns.delete(conn);
    };
    inbound.on('error', drop);
    outbound.on('error', drop);
    // Both ends closed in order (each side ended, then its pipe delivered the end): the connection is gone.
    const closed = () => {
      if (inbound.destroyed && outbound.destroyed) this.conns.delete(conn);
    };
    inbound.on('close', closed);
    outbound.on('close', closed);
  }
}
