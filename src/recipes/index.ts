// zabkit/recipes: the coordination recipes of ZooKeeper's notes, on zabkit/client.
export { Barrier, DoubleBarrier, Semaphore } from './coordination.ts';
export { NodeCache, TreeCache, type Cached, type CacheEvents } from './cache.ts';
export { ConfigService } from './config.ts';
export { SharedCounter } from './counter.ts';
export { LeaderElection, LeaderLatch, type LatchEvents } from './election.ts';
export { Lock, LockLostError, NodeLock, ReadWriteLock, type AcquireOptions } from './lock.ts';
export { GroupMembership } from './membership.ts';
export { NamingService } from './naming.ts';
export { DistributedQueue } from './queue.ts';
export { ensurePath } from './common.ts';
