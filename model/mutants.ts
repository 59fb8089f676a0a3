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

// Bounds for the crash-window bugs: three servers, two writes, three crashes, asynchronous disks,
// and a timer firing while they happen.
const CRASH_WINDOW = { servers: 3, txns: 2, crashes: 3, timeouts: 1, asyncDisk: true, maxDepth: 150 } as const;
const WALKS = { seed: 1, runs: 400_000 } as const;
// Every fault: crashes, a cut connection or a partition, and timers firing while they happen.
const FAULTY = { servers: 3, txns: 2, crashes: 2, partitions: 1, timeouts: 2, asyncDisk: true, maxDepth: 150 } as const;
// The shell's world (an election and a quorum channel per pair, asynchronous disks): a server's
// election traffic does not supersede what its old quorum connection still holds (NET-4).
const SHELL = { servers: 3, txns: 2, crashes: 2, timeouts: 1, asyncDisk: true, twoChannels: true, maxDepth: 150 } as const;

export const MUTANTS: readonly Mutant[] = [
  { name: 'ack-before-persist', bug: 'a follower ACKs a PROPOSAL before it is durable', bounds: CRASH_WINDOW, simulate: WALKS },
  {
    name: 'newleader-ack-before-sync-durable',
    bug: 'a follower ACKs NEWLEADER while the synced txns are not yet durable (ZOOKEEPER-3911, -4646)',
    bounds: CRASH_WINDOW,
    simulate: WALKS,
  },
  {
    name: 'epoch-before-history',
    bug: 'a follower persists currentEpoch before the synced history (ZOOKEEPER-4643)',
    bounds: CRASH_WINDOW,
    simulate: WALKS,
  },
  {
    name: 'keep-stale-history',
    bug: 'a new leader keeps its own history although a learner in its ACKEPOCH quorum is more recent',
    bounds: CRASH_WINDOW,
    simulate: WALKS,
  },
  {
    name: 'vote-by-sid',
    bug: 'election compares votes by server id only, ignoring epoch and zxid (ZOOKEEPER-1419 class)',
    bounds: CRASH_WINDOW,
    simulate: WALKS,
  },
  {
    name: 'commit-without-quorum',
    bug: 'the leader commits after one ACK fewer than a quorum',
    bounds: { servers: 5, txns: 2, crashes: 2, timeouts: 2, maxDepth: 150 },
    simulate: WALKS,
  },
  {
    name: 'skip-trunc',
    bug: 'the leader never sends TRUNC; a follower keeps a divergent uncommitted suffix',
    bounds: { servers: 3, txns: 2, crashes: 2, timeouts: 2, maxDepth: 150 },
    simulate: WALKS,
  },
  {
    name: 'snap-keeps-delivery-position',
    bug: 'a learner synced by SNAP keeps its delivery position, read as a place in the new history (issue 19)',
    bounds: { servers: 3, txns: 2, crashes: 0, partitions: 1, timeouts: 2, snapCount: 1, maxDepth: 150 },
    simulate: WALKS,
  },
  {
    name: 'quorum-of-half',
    bug: 'a quorum is half the voters (⌊n/2⌋) instead of a strict majority',
    bounds: FAULTY,
    simulate: WALKS,
  },
  {
    name: 'rebuild-from-delivered',
    bug: 'on re-election a server rebuilds its history from what it delivered while its disk keeps more (ZOOKEEPER-2845)',
    bounds: FAULTY,
    simulate: WALKS,
  },
  {
    name: 'establish-on-init-timeout',
    bug: 'a leader whose discovery times out goes on with the ACKEPOCHs it has, a minority',
    bounds: { ...FAULTY, servers: 5 },
    simulate: WALKS,
  },
  {
    name: 'trunc-one-too-far',
    bug: 'TRUNC one txn below the last txn leader and learner share; the leader does not send that txn again',
    bounds: { ...CRASH_WINDOW, txns: 3 },
    simulate: WALKS,
  },
  {
    name: 'accept-older-epoch-proposal',
    bug: 'a follower judges a PROPOSAL by its zxid alone: it logs a stale one of an older epoch from its former leader\'s connection',
    bounds: SHELL,
    simulate: WALKS,
  },
  {
    name: 'log-proposal-while-looking',
    bug: 'a server back in LOOKING still logs the PROPOSALs its old leader sent (ZOOKEEPER-4712)',
    bounds: { ...FAULTY, twoChannels: true },
    simulate: WALKS,
  },
  {
    name: 'ignore-election-round',
    bug: 'FLE ignores notifications of another round: it neither joins a later round nor answers an older one',
    bounds: FAULTY,
    simulate: WALKS,
  },
  {
    name: 'snap-drops-snapshot',
    bug: 'a learner synced by SNAP writes the log after the snapshot but not the snapshot (issue 19)',
    bounds: { servers: 3, txns: 2, crashes: 1, timeouts: 2, snapCount: 1, maxDepth: 150 },
    simulate: WALKS,
  },
  {
    name: 'lead-without-connected-quorum',
    bug: 'a leader that loses its voters\' connections goes on leading until its sync timer fires (issue 20, finding 2)',
    bounds: FAULTY,
    simulate: WALKS,
  },
];

export function mutant(name: string): Mutant | undefined {
  return MUTANTS.find((m) => m.name === name);
}
