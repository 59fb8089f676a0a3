// Locks (the notes' lock recipe): each contender makes an ephemeral sequential node under the lock
// node; the lowest holds the lock; every other watches only the node just before its own (no herd:
// a release wakes one waiter). A lock is held while its node exists: if the session expires the
// node goes and so does the lock (`isHeld` turns false; holders should watch the client's
// `expired` event). Creates are protected: a create whose reply was lost is found again by its
// tag, never left behind to block the queue. Reentrant per Lock object: acquire n times, release n times.
//
// ReadWriteLock (the notes' shared lock): readers make `read-` nodes, writers `write-` nodes, in one
// sequence. A reader holds when no write node is below it and watches the highest write node below
// it; a writer holds when it is lowest and watches the node just below it (of either kind).
import type { ZooKeeperClient } from '../client/index.ts';
import { bySequence, deadline, ensurePath, protectedCreate, removeOwn, untagged, waitForWatch } from './common.ts';

export interface AcquireOptions {
  readonly signal?: AbortSignal;
  /** ms; the acquire fails with a TimeoutError after it (the contender's node is removed). */
  readonly timeout?: number;
}

/** The contender's node vanished while it waited: its session expired. */
export class LockLostError extends Error {
  constructor(path: string) {
    super(`the lock node under ${path} is gone: the session expired`);
    this.name = 'LockLostError';
  }
}

/** Which node (by name) `mine` must wait for among `sorted`, or null when it holds. */
export type Blocker = (sorted: readonly string[], mine: string) => string | null;

/** Makes a contender node and waits for its turn; removes the node if the wait fails. */
async function contend(zk: ZooKeeperClient, dir: string, prefix: string, relevant: (name: string) => boolean, blocker: Blocker, o: AcquireOptions): Promise<string> {
  const signal = deadline(zk, o.signal, o.timeout);
  signal?.throwIfAborted();
  await ensurePath(zk, dir);
  const mine = await protectedCreate(zk, dir, prefix, 'ephemeralSequential');
  try {
    for (;;) {
      signal?.throwIfAborted();
      const sorted = bySequence((await zk.getChildren(dir)).children.filter(relevant));
      if (!sorted.includes(mine)) throw new LockLostError(dir);
      const wait = blocker(sorted, mine);
      if (wait === null) return mine;
      await waitForWatch(async (w) => (await zk.exists(`${dir}/${wait}`, { watch: w })) !== null, signal);
    }
  } catch (e) {
    await removeOwn(zk, `${dir}/${mine}`).catch(() => undefined);
    throw e;
  }
}

/** Held by a node of ours: a count for reentrancy. */
class Holding {
  private node: string | null = null;
  private count = 0;
  constructor(
    private readonly zk: ZooKeeperClient,
    private readonly dir: string,
    private readonly take: (o: AcquireOptions) => Promise<string>,
  ) {}

  async acquire(o: AcquireOptions = {}): Promise<void> {
    if (this.count > 0) {
      this.count++;
      return;
    }
    this.node = await this.take(o);
    this.count = 1;
  }

  async release(): Promise<void> {
    if (this.count === 0) throw new Error(`${this.dir}: release of a lock not held`);
    if (--this.count > 0) return;
    const node = this.node!;
    this.node = null;
    await removeOwn(this.zk, `${this.dir}/${node}`);
  }

  get isHeld(): boolean {
    return this.count > 0 && this.zk.state !== 'expired' && this.zk.state !== 'closed';
  }

  /** The lock node's name while held. */
  get nodeName(): string | null {
    return this.node;
  }
}

/** A lock on the nodes `relevant` picks under `path`, with `blocker` saying whom a contender waits for. */
export class NodeLock {
  private readonly h: Holding;
  constructor(zk: ZooKeeperClient, readonly path: string, prefix: string, relevant: (name: string) => boolean, blocker: Blocker) {
    this.h = new Holding(zk, path, (o) => contend(zk, path, prefix, relevant, blocker, o));
  }
  acquire(o?: AcquireOptions): Promise<void> {
    return this.h.acquire(o);
  }
  release(): Promise<void> {
    return this.h.release();
  }
  get isHeld(): boolean {
    return this.h.isHeld;
  }
  /** The lock node's name while held. */
  get nodeName(): string | null {
    return this.h.nodeName;
  }
}

/** Waits for the node just below its own. */
/** Contender nodes named with `prefix` (after a protected create's tag). */
export const named = (prefix: string) => (name: string): boolean => untagged(name).startsWith(prefix);

export const predecessor: Blocker = (sorted, mine) => (sorted[0] === mine ? null : sorted[sorted.indexOf(mine) - 1]!);

export class Lock extends NodeLock {
  constructor(zk: ZooKeeperClient, path: string) {
    super(zk, path, 'lock-', named('lock-'), predecessor);
  }
}

export class ReadWriteLock {
  readonly readLock: NodeLock;
  readonly writeLock: NodeLock;
  constructor(zk: ZooKeeperClient, readonly path: string) {
    const kind = (n: string) => (untagged(n).startsWith('read-') ? 'read' : untagged(n).startsWith('write-') ? 'write' : null);
    const relevant = (n: string) => kind(n) !== null;
    // A reader waits for the highest write node below it; a writer for whatever is just below it.
    const reader: Blocker = (sorted, mine) => sorted.slice(0, sorted.indexOf(mine)).filter((n) => kind(n) === 'write').at(-1) ?? null;
    this.readLock = new NodeLock(zk, path, 'read-', relevant, reader);
    this.writeLock = new NodeLock(zk, path, 'write-', relevant, predecessor);
  }
}
