// Deliberately broken variants of the reducers, each modelled on a real class of ZooKeeper bug,
// with the bounds at which the checker is known to catch it (the README's table).
import type { Deviation } from '../src/zab/index.ts';
import type { Bounds } from './checker.ts';

export interface Mutant {
  readonly name: Deviation;
  readonly bug: string;
  readonly bounds: Partial<Bounds>;
  /** Search by seeded random walks instead of BFS (spaces too large to exhaust). */
  readonly simulate?: { readonly seed: number; readonly runs: number };
}

export const MUTANTS: readonly Mutant[] = [
  {
    name: 'ack-before-persist',
    bug: 'a follower ACKs a PROPOSAL before it is durable',
    bounds: { servers: 3, txns: 1, crashes: 2, asyncDisk: true },
  },
  {
    name: 'newleader-ack-before-sync-durable',
    bug: 'a follower ACKs NEWLEADER while the synced txns are not yet durable (ZOOKEEPER-3911, -4646)',
    bounds: { servers: 3, txns: 1, crashes: 2, asyncDisk: true },
  },
  {
    name: 'epoch-before-history',
    bug: 'a follower persists currentEpoch before the synced history (ZOOKEEPER-4643)',
    bounds: { servers: 3, txns: 1, crashes: 2, asyncDisk: true },
  },
  {
    name: 'keep-stale-history',
    bug: 'a new leader keeps its own history although a learner in its ACKEPOCH quorum is more recent',
    bounds: { servers: 3, txns: 1, crashes: 1 },
  },
  {
    name: 'vote-by-sid',
    bug: 'election compares votes by server id only, ignoring epoch and zxid (ZOOKEEPER-1419 class)',
    bounds: { servers: 3, txns: 1, crashes: 1 },
  },
  {
    name: 'commit-without-quorum',
    bug: 'the leader commits after fewer ACKs than a quorum',
    bounds: { servers: 5, txns: 2, crashes: 2, maxDepth: 80 },
    simulate: { seed: 1, runs: 200_000 },
  },
  {
    name: 'skip-trunc',
    bug: 'the leader never sends TRUNC; a follower keeps a divergent uncommitted suffix',
    bounds: { servers: 3, txns: 2, crashes: 1 },
  },
];

export function mutant(name: string): Mutant | undefined {
  return MUTANTS.find((m) => m.name === name);
}
