// A tiny leader-and-replica for tests: prepare against the tree, apply what it returns, advance
// the zxid and the clock by one per write.
import {
  apply,
  emptyTree,
  type Id,
  type OpResult,
  type Prepared,
  prepare,
  type Tree,
  type TreeConfig,
  type TreeEvent,
  DEFAULT_TREE_CONFIG,
  type WriteOp,
  OPEN_ACL,
} from '../../src/tree/index.ts';

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

export class Harness {
  tree: Tree = emptyTree();
  zxid = 0;
  time = 1_000;
  events: TreeEvent[] = [];
  constructor(readonly config: TreeConfig = DEFAULT_TREE_CONFIG) {}

  /** prepare + apply; the error code when prepare refuses. */
  write(session: bigint, write: WriteOp, auth: readonly Id[] = []): OpResult | number {
    const p = this.prepare(session, write, auth);
    if (!p.ok) return p.err;
    const a = apply(this.tree, p.txn);
    this.tree = a.tree;
    this.events.push(...a.events);
    return a.result;
  }

  prepare(session: bigint, write: WriteOp, auth: readonly Id[] = []): Prepared {
    this.zxid += 1;
    this.time += 1;
    return prepare(this.tree, { session, auth, zxid: this.zxid, time: this.time, write }, this.config);
  }

  session(id: bigint, timeout = 30_000): bigint {
    this.write(id, { op: 'createSession', timeout });
    return id;
  }

  create(session: bigint, path: string, opts: { data?: string; flags?: number; acl?: WriteOp extends never ? never : readonly { perms: number; id: Id }[]; auth?: readonly Id[] } = {}): OpResult | number {
    return this.write(
      session,
      { op: 'create2', path, data: bytes(opts.data ?? ''), acl: opts.acl ?? OPEN_ACL, flags: opts.flags ?? 0 },
      opts.auth ?? [],
    );
  }
}

export const createdPath = (r: OpResult | number): string => {
  if (typeof r === 'number' || r.type !== 'create') throw new Error(`expected a create result, got ${JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
  return r.path;
};
