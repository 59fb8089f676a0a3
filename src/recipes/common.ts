// What the recipes share: making a path's parents, the sequence order of children, protected
// creates (a name carrying a random tag, so a create whose reply was lost can be found again), and
// waiting for a one-shot watch with an AbortSignal.
import { randomUUID } from 'node:crypto';
import { ConnectionLossError, NodeExistsError, NoNodeError, OperationTimeoutError, type ZooKeeperClient, type CreateMode, type Data } from '../client/index.ts';

/** Creates `path` and any missing parents as persistent nodes (an existing node is fine). */
export async function ensurePath(zk: ZooKeeperClient, path: string): Promise<void> {
  if (path === '/') return;
  const parts = path.split('/').slice(1);
  for (let i = 1; i <= parts.length; i++) {
    const p = '/' + parts.slice(0, i).join('/');
    if (await zk.exists(p)) continue;
    await zk.create(p).catch((e: unknown) => {
      if (!(e instanceof NodeExistsError)) throw e;
    });
  }
}

/**
 * Deletes a node this session made, through lost connections: a contender node left behind by a
 * delete whose connection broke would block every waiter for as long as the session lives. NoNode
 * is success (a lost reply may hide a delete that happened); a session that ended takes its
 * ephemeral nodes with it, so there is nothing left to do then either.
 */
export async function removeOwn(zk: ZooKeeperClient, path: string): Promise<void> {
  for (;;) {
    try {
      await zk.delete(path);
      return;
    } catch (e) {
      if (e instanceof NoNodeError || zk.ended.aborted) return;
      if (!(e instanceof ConnectionLossError || e instanceof OperationTimeoutError)) throw e;
    }
  }
}

/** The 10-digit counter ZooKeeper appends to a sequential node's name. */
export const sequenceOf = (name: string): number => Number(name.slice(-10));

/** Names in the order of their sequence numbers. */
export const bySequence = (names: readonly string[]): string[] => [...names].sort((a, b) => sequenceOf(a) - sequenceOf(b));

/**
 * Creates a sequential node `${dir}/${tag}${prefix}…` whose name carries a random tag; if the
 * reply is lost (ConnectionLoss), looks for the tag among the children, so a node made by a lost
 * create is found and owned, never left behind. Returns the node's name (not its path).
 */
export async function protectedCreate(zk: ZooKeeperClient, dir: string, prefix: string, mode: CreateMode, data: Data = null): Promise<string> {
  const tag = `_c_${randomUUID()}-`;
  for (;;) {
    try {
      const made = await zk.create(`${dir}/${tag}${prefix}`, data, { mode });
      return made.path.slice(dir.length + 1);
    } catch (e) {
      if (!(e instanceof ConnectionLossError)) {
        if (e instanceof NoNodeError) await ensurePath(zk, dir);
        else throw e;
        continue;
      }
      const found = await findTagged(zk, dir, tag);
      if (found) return found;
    }
  }
}

async function findTagged(zk: ZooKeeperClient, dir: string, tag: string): Promise<string | undefined> {
  for (;;) {
    try {
      await zk.sync(dir);
      return (await zk.getChildren(dir)).children.find((c) => c.startsWith(tag));
    } catch (e) {
      if (!(e instanceof ConnectionLossError)) throw e;
    }
  }
}

/** The part of a protected name after its tag (`_c_<uuid>-lock-0000000007` → `lock-0000000007`). */
export const untagged = (name: string): string => name.replace(/^_c_[0-9a-f-]{36}-/, '');

/** Resolves when `arm` (which sets a one-shot watch and says whether to wait) is answered by an event; rejects on abort. */
export function waitForWatch(arm: (watcher: () => void) => Promise<boolean>, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (e?: unknown) => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      if (e) reject(e);
      else resolve();
    };
    const onAbort = () => finish(signal!.reason ?? new Error('aborted'));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    arm(() => finish()).then(
      (wait) => {
        if (!wait) finish();
      },
      (e) => finish(e),
    );
  });
}

/**
 * An AbortSignal that fires on `signal`, a timeout (ms), or the end of zk's session: a watch the
 * wait hangs on cannot fire once the session is gone, so no recipe waits past it.
 */
export function deadline(zk: ZooKeeperClient, signal?: AbortSignal, timeout?: number): AbortSignal {
  const parts = [zk.ended, signal, timeout === undefined ? undefined : AbortSignal.timeout(timeout)].filter((s): s is AbortSignal => !!s);
  return parts.length === 1 ? parts[0]! : AbortSignal.any(parts);
}
