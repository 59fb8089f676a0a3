// Shared counter: a number in a node's data, changed by versioned setData (compare-and-set): a
// writer that lost the race (BadVersion) reads again and retries, so no increment is lost.
import { BadVersionError, NodeExistsError, NoNodeError, type ZooKeeperClient } from '../client/index.ts';
import { ensurePath } from './common.ts';

export class SharedCounter {
  constructor(
    private readonly zk: ZooKeeperClient,
    readonly path: string,
    private readonly initial = 0,
  ) {}

  private async read(): Promise<{ value: number; version: number }> {
    for (;;) {
      const got = await this.zk.getData(this.path).catch((e: unknown) => {
        if (e instanceof NoNodeError) return null;
        throw e;
      });
      if (got) return { value: Number(got.data.toString('utf8') || '0'), version: got.stat.version };
      const parent = this.path.slice(0, this.path.lastIndexOf('/')) || '/';
      await ensurePath(this.zk, parent);
      await this.zk.create(this.path, String(this.initial)).catch((e: unknown) => {
        if (!(e instanceof NodeExistsError)) throw e;
      });
    }
  }

  async get(): Promise<number> {
    return (await this.read()).value;
  }

  /** Adds `delta` (compare-and-set until it lands); the new value. */
  async add(delta: number): Promise<number> {
    for (;;) {
      const { value, version } = await this.read();
      try {
        await this.zk.setData(this.path, String(value + delta), { version });
        return value + delta;
      } catch (e) {
        if (!(e instanceof BadVersionError)) throw e;
      }
    }
  }
}
