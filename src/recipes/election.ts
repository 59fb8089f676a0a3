// Leader election (the notes' election recipe). LeaderLatch: every candidate makes an ephemeral
// sequential node; the lowest leads; the others each watch the node just before their own (no
// herd). Leadership lasts while the node exists: on session expiry the latch reports `notLeader`
// and ends (a session belongs to its client: the owner makes a new client and a new latch).
//
// LeaderElection: a latch with a callback. `run(onElected)` waits for leadership, calls
// `onElected(signal)`, and gives the leadership up when the callback returns (or throws); the
// signal aborts if the session expires or `close()` is called, so a leader that lost its node stops.
import { EventEmitter } from 'node:events';
import type { ZooKeeperClient } from '../client/index.ts';
import { named, NodeLock, predecessor, type AcquireOptions } from './lock.ts';

export interface LatchEvents {
  isLeader: [];
  notLeader: [];
}

export class LeaderLatch extends EventEmitter<LatchEvents> {
  private readonly lock: NodeLock;
  private leading = false;
  private closed = false;
  private readonly stop = new AbortController();
  private readonly onExpired = () => this.lose();

  constructor(
    private readonly zk: ZooKeeperClient,
    readonly path: string,
  ) {
    super();
    this.lock = new NodeLock(zk, path, 'latch-', named('latch-'), predecessor);
  }

  /** Joins the election; resolves at once (leadership comes as the `isLeader` event, or by `await()`). */
  start(): void {
    this.zk.once('expired', this.onExpired);
    this.lock.acquire({ signal: this.stop.signal }).then(
      () => {
        if (this.closed) return void this.lock.release().catch(() => undefined);
        this.leading = true;
        this.emit('isLeader');
      },
      () => undefined, // closed, or the session ended: not leader
    );
  }

  /** Resolves once this candidate leads. */
  await(o: AcquireOptions = {}): Promise<void> {
    if (this.leading) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => (this.off('isLeader', on), reject(o.signal!.reason));
      const on = () => (o.signal?.removeEventListener('abort', onAbort), resolve());
      this.once('isLeader', on);
      o.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  get hasLeadership(): boolean {
    return this.leading && this.lock.isHeld;
  }

  private lose(): void {
    if (this.leading) {
      this.leading = false;
      this.emit('notLeader');
    }
  }

  /** Leaves the election (gives up leadership if held). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.zk.off('expired', this.onExpired);
    this.stop.abort(new Error('the latch is closed'));
    if (this.leading) {
      this.leading = false;
      await this.lock.release().catch(() => undefined);
      this.emit('notLeader');
    }
  }
}

export class LeaderElection {
  private readonly lock: NodeLock;
  private readonly stop = new AbortController();

  constructor(
    private readonly zk: ZooKeeperClient,
    readonly path: string,
  ) {
    this.lock = new NodeLock(zk, path, 'leader-', named('leader-'), predecessor);
  }

  /**
   * Waits to lead, runs `onElected` as leader, then gives the leadership up. The callback's signal
   * aborts when the session expires or the election is closed: a leader must stop then.
   */
  async run<T>(onElected: (signal: AbortSignal) => Promise<T>, o: AcquireOptions = {}): Promise<T> {
    await this.lock.acquire({ ...o, signal: o.signal ? AbortSignal.any([o.signal, this.stop.signal]) : this.stop.signal });
    const lost = new AbortController();
    const onEnd = () => lost.abort(new Error('the session ended: leadership lost'));
    this.zk.once('expired', onEnd);
    this.zk.once('closed', onEnd);
    const onStop = () => lost.abort(this.stop.signal.reason);
    this.stop.signal.addEventListener('abort', onStop, { once: true });
    try {
      return await onElected(lost.signal);
    } finally {
      this.zk.off('expired', onEnd);
      this.zk.off('closed', onEnd);
      this.stop.signal.removeEventListener('abort', onStop);
      await this.lock.release().catch(() => undefined);
    }
  }

  close(): void {
    this.stop.abort(new Error('the election is closed'));
  }
}
