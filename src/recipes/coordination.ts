// Semaphore, barrier and double barrier (the notes' coordination recipes).
//
// Semaphore: `permits` holders at once. Each contender makes an ephemeral sequential lease node; the
// lowest `permits` hold. A waiter watches the children of the semaphore node (any release may be its
// turn). A lease lasts while its node exists (gone with an expired session).
//
// Barrier: a node that blocks while it exists: `set()` makes it, `remove()` deletes it, `wait()`
// syncs (so a barrier set through another server is seen) and returns once it is gone (an exists watch).
//
// DoubleBarrier: `count` participants enter together and leave together. Entering makes an
// ephemeral node per participant; when `count` are there, the one that sees it makes a `ready`
// node, which every waiter watches. Leaving: a participant that is the only one left deletes its
// node; the lowest waits for the highest to go; the others delete theirs and wait for the lowest.
import { randomUUID } from 'node:crypto';
import { NodeExistsError, NoNodeError, type ZooKeeperClient } from '../client/index.ts';
import { bySequence, deadline, ensurePath, protectedCreate, removeOwn, waitForWatch } from './common.ts';
import { LockLostError, type AcquireOptions } from './lock.ts';

export class Semaphore {
  constructor(
    private readonly zk: ZooKeeperClient,
    readonly path: string,
    readonly permits: number,
  ) {
    if (!(Number.isInteger(permits) && permits >= 1)) throw new RangeError(`permits must be a whole number ≥ 1, not ${permits}`);
  }

  /** Waits for a lease; returns a function that gives it back. */
  async acquire(o: AcquireOptions = {}): Promise<() => Promise<void>> {
    const signal = deadline(this.zk, o.signal, o.timeout);
    await ensurePath(this.zk, this.path);
    const mine = await protectedCreate(this.zk, this.path, 'lease-', 'ephemeralSequential');
    const node = `${this.path}/${mine}`;
    try {
      for (;;) {
        signal?.throwIfAborted();
        let rank = -1;
        await waitForWatch(async (w) => {
          const sorted = bySequence((await this.zk.getChildren(this.path, { watch: w })).children);
          rank = sorted.indexOf(mine);
          if (rank < 0) throw new LockLostError(this.path);
          return rank >= this.permits;
        }, signal);
        if (rank >= 0 && rank < this.permits) break;
      }
    } catch (e) {
      await removeOwn(this.zk, node).catch(() => undefined);
      throw e;
    }
    return () => removeOwn(this.zk, node);
  }
}

export class Barrier {
  constructor(
    private readonly zk: ZooKeeperClient,
    readonly path: string,
  ) {}

  async set(): Promise<void> {
    const parent = this.path.slice(0, this.path.lastIndexOf('/')) || '/';
    await ensurePath(this.zk, parent);
    await this.zk.create(this.path).catch((e: unknown) => {
      if (!(e instanceof NodeExistsError)) throw e;
    });
  }

  async remove(): Promise<void> {
    await this.zk.delete(this.path).catch((e: unknown) => {
      if (!(e instanceof NoNodeError)) throw e;
    });
  }

  /** Returns once the barrier node does not exist. */
  async wait(o: AcquireOptions = {}): Promise<void> {
    const signal = deadline(this.zk, o.signal, o.timeout);
    // This client's server may not yet have a barrier set through another server before this call:
    // sync first, or the wait could pass a barrier that is up.
    await this.zk.sync(this.path);
    for (;;) {
      let present = false;
      await waitForWatch(async (w) => (present = (await this.zk.exists(this.path, { watch: w })) !== null), signal);
      if (!present) return;
      // The watch fired: the node changed or went; look again.
      if (!(await this.zk.exists(this.path))) return;
    }
  }
}

export class DoubleBarrier {
  private readonly name = randomUUID();

  constructor(
    private readonly zk: ZooKeeperClient,
    readonly path: string,
    readonly count: number,
  ) {
    if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`count must be a whole number ≥ 1, not ${count}`);
  }

  private get ready(): string {
    return `${this.path}/ready`;
  }

  private async members(): Promise<string[]> {
    return (await this.zk.getChildren(this.path)).children.filter((c) => c !== 'ready').sort();
  }

  /** Returns once `count` participants have entered. */
  async enter(o: AcquireOptions = {}): Promise<void> {
    const signal = deadline(this.zk, o.signal, o.timeout);
    await ensurePath(this.zk, this.path);
    await this.zk.create(`${this.path}/${this.name}`, null, { mode: 'ephemeral' });
    for (;;) {
      let ready = false;
      await waitForWatch(async (w) => {
        if (await this.zk.exists(this.ready, { watch: w })) return !(ready = true);
        // The participant that completes the count makes the ready node (its own watch hears it too).
        if ((await this.members()).length >= this.count) {
          await this.zk.create(this.ready).catch((e: unknown) => {
            if (!(e instanceof NodeExistsError)) throw e;
          });
        }
        return true;
      }, signal);
      if (ready || (await this.zk.exists(this.ready))) return;
    }
  }

  /** Returns once every participant has left. */
  async leave(o: AcquireOptions = {}): Promise<void> {
    const signal = deadline(this.zk, o.signal, o.timeout);
    const mine = `${this.path}/${this.name}`;
    for (;;) {
      signal?.throwIfAborted();
      const members = await this.members();
      if (members.length === 0) break;
      if (members.length === 1 && members[0] === this.name) {
        await removeOwn(this.zk, mine);
        break;
      }
      const lowest = members[0]!;
      if (lowest === this.name) {
        // The lowest waits for the highest to go.
        await waitForWatch(async (w) => (await this.zk.exists(`${this.path}/${members.at(-1)!}`, { watch: w })) !== null, signal);
      } else {
        if (members.includes(this.name)) await removeOwn(this.zk, mine);
        await waitForWatch(async (w) => (await this.zk.exists(`${this.path}/${lowest}`, { watch: w })) !== null, signal);
      }
    }
    // The last to leave clears the ready node for the next round.
    if ((await this.members()).length === 0) await this.zk.delete(this.ready).catch(() => undefined);
  }
}
