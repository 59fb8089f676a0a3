// Bugs the simulator must find without being told where to look: each a deliberate deviation in
// one reducer (src/zab or src/server), switched on for every server of a run with --mutant.
import type { ServerDeviation } from '../src/server/index.ts';
import type { Deviation } from '../src/zab/types.ts';

export interface SimMutant {
  readonly name: string;
  readonly zab?: Deviation;
  readonly server?: ServerDeviation;
  /** Storage's: recovery builds on what it read without syncing it (PERSIST-4). */
  readonly unsyncedRecovery?: boolean;
  /** Peers': a break closes only the socket that broke, not the pair's other direction (NET-2). */
  readonly halfLinks?: boolean;
  readonly bug: string;
}

export const SIM_MUTANTS: readonly SimMutant[] = [
  { name: 'snap-keeps-delivery-position', zab: 'snap-keeps-delivery-position', bug: 'a learner synced by SNAP reads its old delivery position in the new history (issue 19: a follower served a tree missing writes)' },
  { name: 'snap-drops-snapshot', zab: 'snap-drops-snapshot', bug: 'a SNAP installs its txns without the leader\'s snapshot (issue 19: a follower came back from kill -9 with an empty tree)' },
  { name: 'claim-on-connect', server: 'claim-on-connect', bug: 'a ConnectRequest claims the session for its server, even one processed after its client moved on (issue 20: sessions refused as moved for ever)' },
  { name: 'ack-before-persist', zab: 'ack-before-persist', bug: 'a follower acknowledges a proposal before it is durable' },
  { name: 'unsynced-recovery', unsyncedRecovery: true, bug: 'a restart builds on log records a killed process left unsynced in the page cache: a later power loss leaves a hole in the log (found by the simulator, seed 301)' },
  { name: 'half-links', halfLinks: true, bug: 'a quorum link\'s break closes only the socket that broke: a learner that started over reads its leader\'s answers to its previous FOLLOWERINFO (found by the simulator, seed 2568: a follower\'s history with a gap)' },
  { name: 'reply-before-commit', server: 'reply-before-commit', bug: 'the leader answers its own client\'s write before a quorum has it' },
];

export function simMutant(name: string): SimMutant | undefined {
  return SIM_MUTANTS.find((m) => m.name === name);
}
