// Configuration service (the notes' configuration recipe): the configuration is one node's data;
// readers keep it in a NodeCache (a persistent watch: no change is missed between reads) and get
// every new value; writers replace it, optionally only over the version they read.
import { NodeExistsError, type Data, type Stat, type ZooKeeperClient } from '../client/index.ts';
import { NodeCache } from './cache.ts';
import { ensurePath } from './common.ts';

export class ConfigService {
  private readonly cache: NodeCache;

  constructor(
    private readonly zk: ZooKeeperClient,
    readonly path: string,
  ) {
    this.cache = new NodeCache(zk, path);
  }

  /** Starts following the configuration. */
  start(): Promise<void> {
    return this.cache.start();
  }

  /** The current value (null before it is first set), as last heard. */
  get current(): Buffer | null {
    return this.cache.current?.data ?? null;
  }

  /** Calls `listener` with every new value (and null if the node is deleted); returns a function that stops it. */
  onChange(listener: (value: Buffer | null, stat: Stat | null) => void): () => void {
    const on = (_: string, now: { data: Buffer; stat: Stat } | null) => listener(now?.data ?? null, now?.stat ?? null);
    this.cache.on('change', on);
    return () => void this.cache.off('change', on);
  }

  /** Sets the value (only over `version` if given: BadVersion if someone wrote since). */
  async set(value: Data, version?: number): Promise<Stat> {
    const parent = this.path.slice(0, this.path.lastIndexOf('/')) || '/';
    await ensurePath(this.zk, parent);
    if (!(await this.zk.exists(this.path))) {
      try {
        return (await this.zk.create(this.path, value)).stat;
      } catch (e) {
        if (!(e instanceof NodeExistsError)) throw e; // made meanwhile by another writer: set it below
      }
    }
    return this.zk.setData(this.path, value, version === undefined ? {} : { version });
  }

  close(): Promise<void> {
    return this.cache.close();
  }
}
