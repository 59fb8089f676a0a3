// Naming service (the notes' naming recipe): unique, increasing ids from sequential nodes. Each id
// is the sequence number ZooKeeper gives a persistent sequential child; the child is deleted right
// away (the counter lives in the parent's cversion, so ids never repeat while the parent exists).
import type { ZooKeeperClient } from '../client/index.ts';
import { ensurePath, removeOwn, sequenceOf } from './common.ts';

export class NamingService {
  constructor(
    private readonly zk: ZooKeeperClient,
    readonly path: string,
    private readonly prefix = 'id-',
  ) {}

  /** A new id, larger than every id this service gave before it (in the order of ZooKeeper's writes). */
  async next(): Promise<number> {
    await ensurePath(this.zk, this.path);
    const made = await this.zk.create(`${this.path}/${this.prefix}`, null, { mode: 'persistentSequential' });
    await removeOwn(this.zk, made.path).catch(() => undefined); // only tidying: the id is taken either way
    return sequenceOf(made.path);
  }
}
