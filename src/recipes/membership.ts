// Group membership (the notes' group recipe): each member is an ephemeral node under the group
// node, so a member whose session ends leaves by itself. `members()` lists them; `watch()` yields
// the member list whenever it changes (on a persistent watch).
import type { Data, ZooKeeperClient } from '../client/index.ts';
import { ensurePath, removeOwn } from './common.ts';

export class GroupMembership {
  constructor(
    private readonly zk: ZooKeeperClient,
    readonly path: string,
  ) {}

  /** Joins as `member` (its data, e.g. an address); NodeExists if that name is taken. */
  async join(member: string, data: Data = null): Promise<void> {
    await ensurePath(this.zk, this.path);
    await this.zk.create(`${this.path}/${member}`, data, { mode: 'ephemeral' });
  }

  async leave(member: string): Promise<void> {
    await removeOwn(this.zk, `${this.path}/${member}`);
  }

  async members(): Promise<string[]> {
    return (await this.zk.getChildren(this.path)).children;
  }

  /** The member list now and after every change, until the loop breaks or `signal` aborts. */
  async *watch(signal?: AbortSignal): AsyncGenerator<string[]> {
    await ensurePath(this.zk, this.path);
    // A persistent watch on the group node hears every member come and go. It is sent before the
    // first listing, and one connection answers in order: no change falls between the two.
    const events = this.zk.watch(this.path, { mode: 'persistent', ...(signal ? { signal } : {}) })[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = events.next();
        yield await this.members();
        if ((await next).done) return;
      }
    } finally {
      await events.return?.();
    }
  }
}
