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
//   - no time jump is left either (a delivery touches sessions and answers reconnects at `now`);
//   - no client of s waits for the txn's reply; it is not a configuration change or a multi; and a
//     session's creation or close is taken alone only if s holds no connection of that session
//     and no reconnect of it waits at s for the leader's answer.
// Every other action then touches other fields of s's reducer than α (connections, owners,
// clocks, requests in flight, the next ids) or other servers, and reads nothing α writes: a
// learner's connects, requests, touches and forwards do not look at its tree (clients here send
// lastZxidSeen 0 and never sync). A reconnect's answer is acted on only once s has delivered as
// far as the leader had when it answered (SERVER-5): an answer that needs α waits for it in either
// order; one that does not is the same before α as after it, except for the session α creates or
// closes — and a reconnect of that session started from now on is answered by a leader that
// already has α's txn committed, so it too waits for α. The state graph is finite and acyclic (ids and positions only
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
  if (w.zab || w.used.crashes < b.crashes || w.used.times < b.times || z.leader === null || !z.servers[z.leader]!.up) return actions;
  if (idealRefuses(z, { type: 'step-down' }) === null) return actions;
  for (const a of actions) {
    if (a.type !== 'ideal' || a.action.type !== 'deliver') continue;
    const sid = a.action.sid;
    const s = z.servers[sid]!;
    const r = w.servers[sid];
    if (!r || s.role?.kind !== 'learner' || s.role.leader !== z.leader || s.role.epoch !== z.epoch || r.syncs.size > 0) continue;
    const e: Entry = z.log[s.delivered]!.value;
    if (e.kind !== 'txn') continue;
    if (e.origin?.server === sid && r.waiting.has(e.origin.id)) continue; // it answers a client of s
    const { op, session } = e.txn;
    if (op.type === 'createSession' || op.type === 'closeSession') {
      // A session s holds a connection of, or has a reconnect of waiting for the leader's answer.
      if (r.bySession.has(session) || r.validating.some((v) => v.session === session)) continue;
    } else if (!treeOnly(op)) continue;
    return [a];
  }
  return actions;
}
