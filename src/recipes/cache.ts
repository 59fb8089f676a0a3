// Node cache and tree cache, on persistent watches (ZooKeeper 3.6+): the watch is sent before the
// first read and one connection answers in order, so no change falls between them. Each event is
// followed by a read of what changed, in the order the events came, so the cache moves only forward.
// After a reconnect the client sets the watch again (setWatches2) and the server sends what changed
// since the last zxid the client saw. On session expiry the cache stops (`closed` event).
import { EventEmitter } from 'node:events';
import { NoNodeError, type Stat, type ZooKeeperClient, type WatchEvent } from '../client/index.ts';

export interface Cached {
  readonly data: Buffer;
  readonly stat: Stat;
}

export interface CacheEvents {
  change: [path: string, now: Cached | null];
  closed: [];
}

abstract class PersistentCache extends EventEmitter<CacheEvents> {
  private chain: Promise<void> = Promise.resolve();
  private readonly watcher = (e: WatchEvent) => {
    this.chain = this.chain.then(() => this.onEvent(e)).catch((err: unknown) => this.fail(err));
  };
  private started = false;
  private readonly onEnd = () => void this.close();

  constructor(
    protected readonly zk: ZooKeeperClient,
    readonly path: string,
    private readonly mode: 'persistent' | 'persistentRecursive',
  ) {
    super();
  }

  /** Sets the watch, then loads; resolves once the cache holds the current state. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.zk.once('expired', this.onEnd);
    await this.zk.addWatch(this.path, this.mode, this.watcher);
    this.chain = this.chain.then(() => this.load());
    await this.chain;
  }

  protected abstract load(): Promise<void>;
  protected abstract onEvent(e: WatchEvent): Promise<void>;

  protected async read(path: string): Promise<Cached | null> {
    try {
      return await this.zk.getData(path);
    } catch (e) {
      if (e instanceof NoNodeError) return null;
      throw e;
    }
  }

  private fail(err: unknown): void {
    if (this.zk.state === 'expired' || this.zk.state === 'closed') void this.close();
    else queueMicrotask(() => {
      throw err;
    });
  }

  async close(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.zk.off('expired', this.onEnd);
    if (this.zk.state !== 'expired' && this.zk.state !== 'closed') await this.zk.removeWatches(this.path, 'any', { watcher: this.watcher, local: true }).catch(() => undefined);
    this.emit('closed');
  }
}

/** One node's data and Stat (null while it does not exist). */
export class NodeCache extends PersistentCache {
  private now: Cached | null = null;

  constructor(zk: ZooKeeperClient, path: string) {
    super(zk, path, 'persistent');
  }

  get current(): Cached | null {
    return this.now;
  }

  protected async load(): Promise<void> {
    this.now = await this.read(this.path);
    this.emit('change', this.path, this.now);
  }

  protected async onEvent(e: WatchEvent): Promise<void> {
    if (e.type === 'childrenChanged') return;
    await this.load();
  }
}

/** Every node of a subtree: data and Stat by path. */
export class TreeCache extends PersistentCache {
  private readonly nodes = new Map<string, Cached>();

  constructor(zk: ZooKeeperClient, path: string) {
    super(zk, path, 'persistentRecursive');
  }

  get(path: string): Cached | undefined {
    return this.nodes.get(path);
  }

  /** The cached children's names of `path`, sorted. */
  children(path: string): string[] {
    const prefix = path === '/' ? '/' : `${path}/`;
    return [...this.nodes.keys()].filter((p) => p.startsWith(prefix) && p !== path && !p.slice(prefix.length).includes('/')).map((p) => p.slice(prefix.length)).sort();
  }

  /** Every cached path, sorted. */
  paths(): string[] {
    return [...this.nodes.keys()].sort();
  }

  protected load(): Promise<void> {
    return this.loadSubtree(this.path);
  }

  private async loadSubtree(path: string): Promise<void> {
    const got = await this.read(path);
    if (!got) return this.drop(path);
    this.set(path, got);
    let children: string[] = [];
    try {
      children = (await this.zk.getChildren(path)).children;
    } catch (e) {
      if (!(e instanceof NoNodeError)) throw e;
    }
    for (const c of children) await this.loadSubtree(path === '/' ? `/${c}` : `${path}/${c}`);
  }

  private set(path: string, v: Cached): void {
    this.nodes.set(path, v);
    this.emit('change', path, v);
  }

  private drop(path: string): void {
    for (const p of [...this.nodes.keys()]) {
      if (p === path || p.startsWith(path === '/' ? '/' : `${path}/`)) {
        this.nodes.delete(p);
        this.emit('change', p, null);
      }
    }
  }

  protected async onEvent(e: WatchEvent): Promise<void> {
    switch (e.type) {
      case 'created':
        return this.loadSubtree(e.path);
      case 'dataChanged': {
        const got = await this.read(e.path);
        return got ? this.set(e.path, got) : this.drop(e.path);
      }
      case 'deleted':
        return this.drop(e.path);
      default:
        return;
    }
  }
}
