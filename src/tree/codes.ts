// ZooKeeper's numbers, as clients see them on the wire (KeeperException.Code, Watcher.Event,
// ZooDefs.Perms, CreateMode). Names follow ZooKeeper's so a reader can look them up.

export const Code = {
  OK: 0,
  RuntimeInconsistency: -2,
  /** What ZooKeeper answers when a request's fields cannot be turned into its objects (an unknown watcher type). */
  MarshallingError: -5,
  Unimplemented: -6,
  BadArguments: -8,
  UnknownSession: -12,
  NoNode: -101,
  NoAuth: -102,
  BadVersion: -103,
  NoChildrenForEphemerals: -108,
  NodeExists: -110,
  NotEmpty: -111,
  SessionExpired: -112,
  InvalidACL: -114,
  SessionMoved: -118,
  NotReadOnly: -119,
  AuthFailed: -115,
  NoWatcher: -121,
  QuotaExceeded: -125,
} as const;
export type ErrorCode = (typeof Code)[keyof typeof Code];

export const EventType = {
  NodeCreated: 1,
  NodeDeleted: 2,
  NodeDataChanged: 3,
  NodeChildrenChanged: 4,
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

export const Perms = { READ: 1, WRITE: 2, CREATE: 4, DELETE: 8, ADMIN: 16, ALL: 31 } as const;

/** Create flags (TREE-4). */
export const CreateMode = {
  PERSISTENT: 0,
  EPHEMERAL: 1,
  PERSISTENT_SEQUENTIAL: 2,
  EPHEMERAL_SEQUENTIAL: 3,
  CONTAINER: 4,
  PERSISTENT_WITH_TTL: 5,
  PERSISTENT_SEQUENTIAL_WITH_TTL: 6,
} as const;

/** removeWatches / checkWatches types (WATCH-9). */
export const WatcherType = { Children: 1, Data: 2, Any: 3 } as const;
export const isWatcherType = (t: number): boolean => t === 1 || t === 2 || t === 3;

/** addWatch modes (WATCH-4, WATCH-5). */
export const AddWatchMode = { PERSISTENT: 0, PERSISTENT_RECURSIVE: 1 } as const;

/** The largest TTL ZooKeeper can encode in an ephemeralOwner (TREE-8). */
export const MAX_TTL = 2 ** 40 - 1;
