// Distributed queue (the notes' queue recipe): `offer` makes a persistent sequential `item-` node
// holding the data; `take` reads the lowest item and deletes it: the delete succeeds for exactly one
// taker, so each item is taken once (a taker whose delete fails with NoNode tries the next). With
// nothing there, `take` waits on a children watch. An item whose taker's delete reply was lost
// (ConnectionLoss) may have been taken by it: that taker re-checks whether the node still exists.
import { ConnectionLossError, NoNodeError, type Data, type ZooKeeperClient } from '../client/index.ts';
import { bySequence, deadline, ensurePath, waitForWatch } from './common.ts';
import type { AcquireOptions } from './lock.ts';

export class DistributedQueue {
  constructor(
    private readonly zk: ZooKeeperClient,
    readonly path: string,
  ) {}

  /** Adds an item; its node's name. */
  async offer(data: Data): Promise<string> {
    await ensurePath(this.zk, this.path);
    return (await this.zk.create(`${this.path}/item-`, data, { mode: 'persistentSequential' })).path;
  }

  /** The lowest item, removed; null if the queue is empty. */
  async poll(): Promise<Buffer | null> {
    for (;;) {
      const items = bySequence(
        (
          await this.zk.getChildren(this.path).catch((e: unknown) => {
            if (e instanceof NoNodeError) return { children: [] as string[] }; // no queue yet: empty
            throw e;
          })
        ).children,
      );
      if (!items.length) return null;
      const got = await this.tryTake(items);
      if (got !== undefined) return got;
    }
  }

  /** The lowest item, removed; waits for one if the queue is empty. */
  async take(o: AcquireOptions = {}): Promise<Buffer> {
    const signal = deadline(this.zk, o.signal, o.timeout);
    await ensurePath(this.zk, this.path);
    for (;;) {
      signal?.throwIfAborted();
      let items: string[] = [];
      await waitForWatch(async (w) => (items = bySequence((await this.zk.getChildren(this.path, { watch: w })).children)).length === 0, signal);
      if (!items.length) continue;
      const got = await this.tryTake(items);
      if (got !== undefined) return got;
    }
  }

  /** Takes the first of `items` still there; undefined if all went to other takers. */
  private async tryTake(items: readonly string[]): Promise<Buffer | undefined> {
    for (const name of items) {
      const node = `${this.path}/${name}`;
      let data: Buffer;
      try {
        data = (await this.zk.getData(node)).data;
      } catch (e) {
        if (e instanceof NoNodeError) continue;
        throw e;
      }
      for (;;) {
        try {
          await this.zk.delete(node);
          return data;
        } catch (e) {
          if (e instanceof NoNodeError) break; // another taker had it
          if (!(e instanceof ConnectionLossError)) throw e;
          // Our delete may have happened: if the node is gone now, either we or another took it;
          // ZooKeeper cannot tell which, so the item counts as ours only if we can still delete it.
          await this.zk.sync(node);
          if (!(await this.zk.exists(node))) break;
        }
      }
    }
    return undefined;
  }
}
