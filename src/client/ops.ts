// What calls take and give: create modes, ACLs, Stat, and the typed op builders of multi and
// multiRead with their per-op results.
import type { WireStat } from '../wire/records.ts';

export type CreateMode = 'persistent' | 'ephemeral' | 'persistentSequential' | 'ephemeralSequential' | 'container' | 'persistentWithTTL' | 'persistentSequentialWithTTL';

/** CreateMode's flag numbers (ZooKeeper's CreateMode.toFlag). */
export const CREATE_FLAGS: Readonly<Record<CreateMode, number>> = {
  persistent: 0,
  ephemeral: 1,
  persistentSequential: 2,
  ephemeralSequential: 3,
  container: 4,
  persistentWithTTL: 5,
  persistentSequentialWithTTL: 6,
};

/** Whether the server appends a sequence number to the name. */
export const isSequential = (mode: CreateMode): boolean => mode === 'persistentSequential' || mode === 'ephemeralSequential' || mode === 'persistentSequentialWithTTL';

/** The opcode a create in this mode goes as: createContainer 19, createTTL 21, else create2 15 (1 in a multi). */
export const createOpcode = (mode: CreateMode, inMulti: boolean): 1 | 15 | 19 | 21 =>
  mode === 'container' ? 19 : mode === 'persistentWithTTL' || mode === 'persistentSequentialWithTTL' ? 21 : inMulti ? 1 : 15;

export const Perms = { READ: 1, WRITE: 2, CREATE: 4, DELETE: 8, ADMIN: 16, ALL: 31 } as const;

export interface Id {
  readonly scheme: string;
  readonly id: string;
}
export interface ACL {
  readonly perms: number;
  readonly id: Id;
}

/** ZooDefs.Ids: anyone may do anything; only the creator's ids; anyone may read. */
export const OPEN_ACL_UNSAFE: readonly ACL[] = [{ perms: Perms.ALL, id: { scheme: 'world', id: 'anyone' } }];
export const CREATOR_ALL_ACL: readonly ACL[] = [{ perms: Perms.ALL, id: { scheme: 'auth', id: '' } }];
export const READ_ACL_UNSAFE: readonly ACL[] = [{ perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } }];

export interface Stat {
  readonly czxid: bigint;
  readonly mzxid: bigint;
  /** ms since the epoch. */
  readonly ctime: number;
  readonly mtime: number;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  /** The owning session of an ephemeral node; 0n otherwise (a TTL node's TTL is encoded here on the server, not shown). */
  readonly ephemeralOwner: bigint;
  readonly dataLength: number;
  readonly numChildren: number;
  readonly pzxid: bigint;
}

export const toStat = (s: WireStat): Stat => ({ ...s, ctime: Number(s.ctime), mtime: Number(s.mtime) });

export type Data = string | Uint8Array | null;
export const bytes = (d: Data | undefined): Uint8Array | null => (d === undefined || d === null ? null : typeof d === 'string' ? Buffer.from(d, 'utf8') : d);

export interface CreateOptions {
  readonly mode?: CreateMode;
  readonly acl?: readonly ACL[];
  /** ms; required for the TTL modes. */
  readonly ttl?: number;
}

// ------------------------------------------------------------------ multi

export type WriteOp =
  | { readonly type: 'create'; readonly path: string; readonly data: Data; readonly options: CreateOptions }
  | { readonly type: 'delete'; readonly path: string; readonly version: number }
  | { readonly type: 'setData'; readonly path: string; readonly data: Data; readonly version: number }
  | { readonly type: 'check'; readonly path: string; readonly version: number };

export type ReadOp = { readonly type: 'getData'; readonly path: string } | { readonly type: 'getChildren'; readonly path: string };

/** The op builders (ZooKeeper's Op.create, Op.delete, …). A version of -1 matches any. */
export const op = {
  create: (path: string, data: Data = null, options: CreateOptions = {}) => ({ type: 'create', path, data, options }) as const,
  delete: (path: string, version = -1) => ({ type: 'delete', path, version }) as const,
  setData: (path: string, data: Data, version = -1) => ({ type: 'setData', path, data, version }) as const,
  check: (path: string, version: number) => ({ type: 'check', path, version }) as const,
  getData: (path: string) => ({ type: 'getData', path }) as const,
  getChildren: (path: string) => ({ type: 'getChildren', path }) as const,
};

export type WriteResult =
  | { readonly type: 'create'; readonly path: string; readonly stat?: Stat }
  | { readonly type: 'delete' }
  | { readonly type: 'setData'; readonly stat: Stat }
  | { readonly type: 'check' };

/** A multi's results, one per op, typed by the op. */
export type ResultOf<O> = O extends { type: 'create' }
  ? { readonly type: 'create'; readonly path: string; readonly stat?: Stat }
  : O extends { type: 'delete' }
    ? { readonly type: 'delete' }
    : O extends { type: 'setData' }
      ? { readonly type: 'setData'; readonly stat: Stat }
      : O extends { type: 'check' }
        ? { readonly type: 'check' }
        : O extends { type: 'getData' }
          ? { readonly type: 'getData'; readonly data: Buffer; readonly stat: Stat } | { readonly type: 'error'; readonly error: Error }
          : O extends { type: 'getChildren' }
            ? { readonly type: 'getChildren'; readonly children: string[] } | { readonly type: 'error'; readonly error: Error }
            : never;
export type ResultsOf<Os extends readonly unknown[]> = { -readonly [K in keyof Os]: ResultOf<Os[K]> };
