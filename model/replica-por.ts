// Partial-order reduction for whole replicas over the ideal ZAB (`check --replicas --zab ideal
// --por`): once the crash budget is spent, some actions commute with everything else that can
// happen before them; the checker takes such an action alone instead of every interleaving of it.
//
// Why it is sound. An action α taken alone must be *persistent*: every action that can happen
// before it, on any path, is independent of it (neither disables the other, and both orders reach
// the same state). Only once no crash and no time jump is left (a crash can disable almost
// anything; a delivery touches sessions and answers reconnects at `now`), and only these:
//   - a crashed server's restart: nothing reaches a server that is down, and a learner that still
//     follows the crashed one reaches nothing after the restart either (servers' messages travel on
//     a learner's connection to its leader, which the crash ended: `linked` in replicas.ts); a
//     restart disables nothing — it only adds a server without a role;
//   - with a leader that cannot step down (it and its learners are a quorum, and without a crash
//     no learner can leave it): a join of the leader by a server without a role where no
//     ConnectRequest waits (without a role it takes no client, and what its old requests bring
//     back finds nothing waiting; a join only adds to the leader's learners);
//   - with such a leader, a learner's delivery of the next committed txn, when no client of that
//     learner waits for the txn's reply (or no client can move any more: then nothing but that
//     reply changes a client that waits), the txn is not a configuration change or a multi, and — for a
//     session's creation or close — the learner holds no connection of that session and no
//     reconnect of it waits there for the leader's answer. Every other action touches other
//     fields of the learner's reducer (connections, owners, clocks, requests in flight, the next
//     ids) or other servers, and reads nothing the delivery writes: a learner's connects,
//     requests, touches and forwards do not look at its tree (clients here send lastZxidSeen 0 and
//     never sync). A reconnect's answer is acted on only once the learner has delivered as far as
//     the leader had when it answered (SERVER-5): an answer that needs the delivery waits for it in
//     either order; one that does not is the same before it as after, except for the session the
//     delivery creates or closes — and a reconnect of that session started from now on is answered
//     by a leader that has the txn committed already, so it too waits for the delivery;
//   - with such a leader and no client left to move, its commit of the next proposal, on the
//     conditions `commits` gives below (what the leader's other inputs read of its state).
// Scripts that read (`ordered`) get neither deliveries nor commits taken alone: a read looks at
// the tree a delivery changes.
// The state graph is finite and acyclic (ids and positions only grow, an election needs a crash),
// so persistent sets with state caching reach, for every run of the full graph, a run that extends
// it by reordering (Godefroid 1996, ch. 4): every server's tree goes through the same states in
// the same order, every client sees the same replies, and every state with nothing left to do is
// reached. The client-level invariants are judged per server (INV-19, INV-21, INV-20's delivery
// position and TREE-27's digest against the leader's), when a step happens (INV-22, INV-24), or
// on the states with nothing left to do (INV-25), so
// each is judged on the states the reduced runs share with the full one; INV-20's comparison of
// two servers' trees is implied by both matching the leader's digest. `test/replicas.test.ts`
// checks the reduction against the full search where both finish: the same states with nothing
// left to do, and every server mutant still caught.
import type { Entry } from '../src/server/index.ts';
import type { TxnOp } from '../src/tree/index.ts';
import { idealRefuses } from './ideal-zab.ts';
import { readsIn, type ReplicaAction, type ReplicaBounds, type Replicas } from './replicas.ts';

const treeOnly = (op: TxnOp): boolean =>
  op.type === 'create' || op.type === 'delete' || op.type === 'error' || op.type === 'check' || op.type === 'setACL' || (op.type === 'setData' && !op.path.startsWith('/zookeeper'));

/** The actions to explore from `w`: one that commutes with every other (a restart, a join, a delivery), or all of them. */
export function ample(w: Replicas, b: ReplicaBounds, actions: ReplicaAction[]): ReplicaAction[] {
  const z = w.ideal;
  if (w.zab || w.used.crashes < b.crashes || w.used.times < b.times) return actions;
  // A restart: nothing reaches a server that is down, and what its old learners send goes nowhere after it either.
  const restart = actions.find((a) => a.type === 'ideal' && a.action.type === 'restart');
  if (restart) return [restart];
  if (z.leader === null || !z.servers[z.leader]!.up || idealRefuses(z, { type: 'step-down' }) === null) return actions;
  // Reads look at a server's tree: a delivery or commit no longer commutes with its clients' requests.
  if (readsIn(b.scripts)) return actions;
  // A join: no ConnectRequest waits at that server, which nothing else can reach without a role.
  for (const a of actions) {
    if (a.type === 'ideal' && a.action.type === 'join' && !w.stale.some((x) => x.server === (a.action as { sid: number }).sid)) return [a];
  }
  // Once no client can move, nothing but its reply changes a client waiting for one.
  const settled = w.used.moves >= b.moves && w.stale.length === 0;
  for (const a of actions) {
    if (a.type !== 'ideal' || a.action.type !== 'deliver') continue;
    const sid = a.action.sid;
    const s = z.servers[sid]!;
    const r = w.servers[sid];
    if (!r || s.role?.kind !== 'learner' || s.role.leader !== z.leader || s.role.epoch !== z.epoch || r.syncs.size > 0) continue;
    const e: Entry = z.log[s.delivered]!.value;
    if (e.kind !== 'txn') continue;
    if (!settled && e.origin?.server === sid && r.waiting.has(e.origin.id)) continue; // it answers a client of s, who might move meanwhile
    const { op, session } = e.txn;
    if (op.type === 'createSession' || op.type === 'closeSession') {
      // A session s holds a connection of, or has a reconnect of waiting for the leader's answer.
      if (r.bySession.has(session) || r.validating.some((v) => v.session === session)) continue;
    } else if (!treeOnly(op)) continue;
    return [a];
  }
  const commit = actions.find((a) => a.type === 'ideal' && a.action.type === 'commit');
  if (commit && settled && commits(w, z.leader)) return [commit];
  return actions;
}

/**
 * The leader's commit of its next proposal, taken alone (once no client can move): it writes the
 * leader's committed tree, last zxid and waiting replies, and answers a client of the leader that
 * can do nothing else meanwhile. What else the leader does reads none of that — its proposals
 * read the speculative tree, its owner checks and reconnects read only the tree's sessions, its
 * answers to learners' reconnects (VALIDATED) its last zxid. So: a txn of the tree only and no
 * VALIDATE on its way to the leader; a session's creation or close also with no message of that
 * session on its way there and no client of it free to reconnect or write.
 */
function commits(w: Replicas, leader: number): boolean {
  const e: Entry = w.ideal.log[w.ideal.committed]!.value;
  if (e.kind !== 'txn') return false;
  const toLeader = Object.entries(w.forward).flatMap(([k, q]) => (k.endsWith(`>${leader}`) ? q : []));
  if (toLeader.some((m) => m.type === 'VALIDATE')) return false;
  const { op, session } = e.txn;
  if (op.type === 'createSession' || op.type === 'closeSession') {
    if (toLeader.some((m) => (m.type === 'TOUCH' ? m.sessions.includes(session) : 'session' in m && m.session === session))) return false;
    return w.clients.every((c) => c.session !== session || c.ended || c.waiting !== null);
  }
  return treeOnly(op);
}
