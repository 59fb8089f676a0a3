// Partial-order reduction for whole replicas over the ideal ZAB (`check --replicas --zab ideal
// --por`): where a learner's next delivery commutes with everything else that can happen before
// it, the checker takes that delivery alone instead of every interleaving of it.
//
// Why it is sound. The delivery α = deliver(s) taken alone must be *persistent*: every action that
// can happen before it, on any path, is independent of it (neither disables the other, and both
// orders reach the same state). Taken only when
//   - no crash is left in the budget (a crash of s or of its leader is the only thing that could
//     disable α: without one the leader stays, and s stays its learner), and the leader cannot
//     step down (it and its learners are a quorum, and no learner can leave it);
//   - the txn changes only the tree: not a session's creation or close (a reconnect at s reads
//     which sessions s knows), not the configuration, not a multi; and it did not begin at s (no
//     client of s is answered, no connection of s closed).
// Every other action then touches other fields of s's reducer than α (connections, owners,
// clocks, requests in flight, the next ids) or other servers, and reads nothing α writes: a
// learner's connects, requests, touches and forwards do not look at its tree (clients here send
// lastZxidSeen 0 and never sync). The state graph is finite and acyclic (ids and positions only
// grow, an election needs a crash), so persistent sets with state caching reach, for every run of
// the full graph, a run that extends it by reordering (Godefroid 1996, ch. 4): every server's tree
// goes through the same states in the same order, every client sees the same replies, and every
// state with nothing left to do is reached. The client-level invariants are judged per server
// (INV-19, INV-21, INV-20's delivery position and TREE-27's digest against the leader's) or when
// a step happens (INV-22), so each is judged on the states the reduced runs share with the full
// one; INV-20's comparison of two servers' trees is implied by both matching the leader's digest.
// `test/replicas.test.ts` checks the reduction against the full search where both finish: the
// same states with nothing left to do, and every server mutant still caught.
import type { Entry } from '../src/server/index.ts';
import type { TxnOp } from '../src/tree/index.ts';
import { idealRefuses } from './ideal-zab.ts';
import type { ReplicaAction, ReplicaBounds, Replicas } from './replicas.ts';

const treeOnly = (op: TxnOp): boolean =>
  op.type === 'create' || op.type === 'delete' || op.type === 'error' || op.type === 'check' || op.type === 'setACL' || (op.type === 'setData' && !op.path.startsWith('/zookeeper'));

/** The actions to explore from `w`: one delivery that commutes with every other, or all of them. */
export function ample(w: Replicas, b: ReplicaBounds, actions: ReplicaAction[]): ReplicaAction[] {
  const z = w.ideal;
  if (w.zab || w.used.crashes < b.crashes || z.leader === null || !z.servers[z.leader]!.up) return actions;
  if (idealRefuses(z, { type: 'step-down' }) === null) return actions;
  for (const a of actions) {
    if (a.type !== 'ideal' || a.action.type !== 'deliver') continue;
    const sid = a.action.sid;
    const s = z.servers[sid]!;
    if (s.role?.kind !== 'learner' || s.role.leader !== z.leader || s.role.epoch !== z.epoch) continue;
    const e: Entry = z.log[s.delivered]!.value;
    if (e.kind !== 'txn' || !treeOnly(e.txn.op) || e.origin?.server === sid) continue;
    if ((w.servers[sid]?.syncs.size ?? 1) > 0) continue;
    return [a];
  }
  return actions;
}
