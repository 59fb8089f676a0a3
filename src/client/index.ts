// zabkit/client: a typed, promise-based ZooKeeper client (3.5–3.9 servers and zabkit).
export { ClientClosedError, connect, ZooKeeperClient, type CallOptions, type NodeData, type ClientEvents, type ClientOptions, type ConnectionState } from './client.ts';
export * from './errors.ts';
export { CREATOR_ALL_ACL, OPEN_ACL_UNSAFE, op, Perms, READ_ACL_UNSAFE, type ACL, type CreateMode, type CreateOptions, type Data, type Id, type ReadOp, type ResultsOf, type Stat, type WriteOp } from './ops.ts';
export { parseConnectString, type ConnectString, type HostPort } from './connect-string.ts';
export type { WatchEvent, WatchEventType, Watcher, WatcherType } from './watches.ts';
