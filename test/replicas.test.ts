// The checker over whole replicas (model/replicas.ts): ZAB, the server's reducer and the data tree
// on three servers, with clients. INV-19..24 (spec/invariants.md) on every state, INV-25 on final
// ones; the server mutants of issue 20 caught at their recorded bounds.
import { describe, expect, it } from 'vitest';
import { checkReplicaInvariants } from '../model/client-invariants.ts';
import { exploreReplicas, exploreReplicasDepthFirst, walkReplicas } from '../model/replica-checker.ts';
import { SERVER_MUTANTS } from '../model/replica-cli.ts';
import { DEFAULT_REPLICA_BOUNDS, initialReplicas, stepReplicas, type ReplicaAction, type ReplicaBounds } from '../model/replicas.ts';

describe('whole replicas', () => {
  it('exhausts one client on three servers (a persistent node, then its close): 641 states, every write acknowledged and replicated', () => {
    const b: ReplicaBounds = { ...DEFAULT_REPLICA_BOUNDS, scripts: 'plain', clients: 1, crashes: 0, times: 0, moves: 0 };
    const r = exploreReplicas(b);
    expect(r.violation).toBeNull();
    expect(r.exhausted).toBe(true);
    expect(r.distinct).toBe(641);
    expect(r.reached).toMatchObject({ 'write acknowledged': true, 'session ended': true });
  });

  it('INV-26: one client that watches, then writes with a read sent right behind, exhausts over the ZAB reducers: every read after its write and seeing it, every event before a later reply', () => {
    const b: ReplicaBounds = { ...DEFAULT_REPLICA_BOUNDS, scripts: 'ordered', clients: 1, crashes: 0, times: 0, moves: 0 };
    const r = exploreReplicas(b);
    expect(r).toMatchObject({ exhausted: true, violation: null });
    expect(r.reached).toMatchObject({ 'write acknowledged': true, 'session ended': true });
  });

  it('survives 300 seeded walks with every fault at the default bounds (two clients, a crash, a time jump, a move), reaching what matters', () => {
    const r = walkReplicas(DEFAULT_REPLICA_BOUNDS, 1, 300);
    expect(r.violation).toBeNull();
    expect(r.reached).toEqual({ 'write acknowledged': true, 'session ended': true, 'container reaped': true, 'crash with writes': true });
  });

  // INV-19..22 are checks that can fail: a tampered state breaks each.
  it('INV-19, INV-20, INV-21: a replica that lost an acknowledged node, disagrees with another, or keeps a closed session\'s ephemeral is reported', () => {
    const b: ReplicaBounds = { ...DEFAULT_REPLICA_BOUNDS, scripts: 'plain', clients: 2, crashes: 0, times: 0, moves: 0 };
    // Drive the two clients to their acknowledged writes, delivering everything in order.
    let w = initialReplicas(b);
    const settle = () => {
      for (let i = 0; i < 200; i++) {
        const zab = w.zab!;
        const next = zab.sids.flatMap((s) => zab.sids.map((t) => [s, t] as const)).find(([s, t]) => s !== t && zab.channels[`${s}>${t}`]!.length);
        const fwd = Object.entries(w.forward).find(([, q]) => q.length);
        if (next) w = stepReplicas(w, { type: 'zab', action: { type: 'deliver', from: next[0], to: next[1] } }, b);
        else if (fwd) {
          const [from, to] = fwd[0].split('>').map(Number) as [number, number];
          w = stepReplicas(w, { type: 'forward', from, to }, b);
        } else return;
      }
    };
    w = stepReplicas(w, { type: 'connect', client: 1, server: 1 }, b);
    w = stepReplicas(w, { type: 'connect', client: 2, server: 2 }, b);
    settle();
    w = stepReplicas(w, { type: 'write', client: 1 }, b);
    w = stepReplicas(w, { type: 'write', client: 2 }, b);
    settle();
    expect(w.acked.map((a) => a.path).sort()).toEqual(['/e2', '/p1']);
    expect(checkReplicaInvariants(w)).toEqual([]);
    const r1 = w.servers[1]!;
    const lost = { ...w, servers: { ...w.servers, 1: { ...r1, tree: { ...r1.tree, nodes: r1.tree.nodes.remove('/p1') } } } };
    expect(checkReplicaInvariants(lost).map((v) => v.id)).toEqual(expect.arrayContaining(['INV-19', 'INV-20']));
    const session = w.acked.find((a) => a.path === '/e2')!.session;
    const closed = { ...w, servers: { ...w.servers, 1: { ...r1, tree: { ...r1.tree, sessions: r1.tree.sessions.remove(session) } } } };
    expect(checkReplicaInvariants(closed).map((v) => v.id)).toContain('INV-21');
  });
});

describe('server mutants over the ideal ZAB, with and without partial-order reduction', () => {
  // validate-locally breaks what the reduction assumes (test/replica-por.test.ts): without --por only.
  it.each([['claim-on-connect', 'INV-22', true], ['reap-from-committed', 'INV-19', true], ['validate-locally', 'INV-24', false], ['orphan-connects', 'INV-25', true], ['read-ahead', 'INV-26', true], ['event-after-reply', 'INV-26', true], ['reply-before-commit', 'INV-19', true]] as const)('%s: %s', (name, id, por) => {
    const bounds = SERVER_MUTANTS.find((m) => m.name === name)!.bounds;
    const b: ReplicaBounds = { ...DEFAULT_REPLICA_BOUNDS, ...bounds, zab: 'ideal', deviation: name };
    expect(exploreReplicas(b, 200_000).violation?.id).toBe(id);
    if (por) expect(exploreReplicas({ ...b, por: true }, 200_000).violation?.id).toBe(id);
  });
});

describe('server mutants (issue 20) are caught at their bounds over the reducers\' messages', () => {
  const CAUGHT = { 'claim-on-connect': 'INV-22', 'reap-from-committed': 'INV-19', 'validate-locally': 'INV-24', 'orphan-connects': 'INV-25', 'read-ahead': 'INV-26', 'event-after-reply': 'INV-26', 'reply-before-commit': 'INV-19' } as const;
  // reply-before-commit: over ZAB's own messages the proposal leaves in the step that answers, and
  // losing it needs a cut link, which these bounds leave out; the ideal ZAB (above) and the
  // simulator (test/sim) catch it.
  it.each(SERVER_MUTANTS.filter((m) => m.name !== 'reply-before-commit').map((m) => [m.name, CAUGHT[m.name], m.bounds] as const))('%s: %s; the real reducer survives that same path', (name, id, bounds) => {
    const b: ReplicaBounds = { ...DEFAULT_REPLICA_BOUNDS, ...bounds, deviation: name };
    // Breadth first; INV-25 needs a state with nothing left to do, which over ZAB's messages with a crash lies past 200,000 states: walks find one.
    const r = name === 'orphan-connects' ? walkReplicas(b, 1, 200) : exploreReplicas(b, 200_000);
    expect(r.violation?.id).toBe(id);
    const plain: ReplicaBounds = { ...DEFAULT_REPLICA_BOUNDS, ...bounds };
    let w = initialReplicas(plain);
    for (const a of r.violation!.path) {
      w = stepReplicas(w, a, plain);
      expect(checkReplicaInvariants(w)).toEqual([]);
    }
  });
});

describe('the ideal ZAB (INV-23) and reconnects (INV-24)', () => {
  it('INV-23: the ZAB reducers refine the ideal ZAB on every step of 300 walks with three crashes and moves; a delivery the ideal does not make is reported', () => {
    const b: ReplicaBounds = { ...DEFAULT_REPLICA_BOUNDS, crashes: 3, moves: 2 };
    const r = walkReplicas(b, 7, 300);
    expect(r.violation).toBeNull();
    expect(r.reached).toMatchObject({ 'crash with writes': true, 'write acknowledged': true });
    // A ZAB that delivers something else than the ideal's committed sequence: INV-23.
    const plain: ReplicaBounds = { ...DEFAULT_REPLICA_BOUNDS, scripts: 'plain', clients: 1, crashes: 0, times: 0, moves: 0 };
    let w = stepReplicas(initialReplicas(plain), { type: 'connect', client: 1, server: 3 }, plain);
    const forged = { ...w, ideal: { ...w.ideal, log: w.ideal.log.map((e) => ({ ...e, zxid: e.zxid + 1 })) } };
    w = stepReplicas(forged, { type: 'zab', action: { type: 'deliver', from: 3, to: 1 } }, plain); // the leader's PROPOSAL
    w = stepReplicas(w, { type: 'zab', action: { type: 'deliver', from: 1, to: 3 } }, plain); // the ACK: the leader commits
    expect(checkReplicaInvariants(w).map((v) => v.id)).toContain('INV-23');
  });

  it('over the ideal ZAB, two clients on three servers exhaust in 24,073 states; partial-order reduction reaches the same final states in fewer', () => {
    const b: ReplicaBounds = { ...DEFAULT_REPLICA_BOUNDS, zab: 'ideal', scripts: 'plain', clients: 2, crashes: 0, times: 0, moves: 0 };
    const full = exploreReplicas(b, Infinity, undefined, true);
    const por = exploreReplicas({ ...b, por: true }, Infinity, undefined, true);
    expect(full).toMatchObject({ exhausted: true, violation: null, distinct: 24_073 });
    expect(por).toMatchObject({ exhausted: true, violation: null });
    expect(por.distinct).toBeLessThan(full.distinct);
    expect(por.finals).toEqual(full.finals);
    expect(full.finals!.length).toBeGreaterThan(0);
    // Depth first reaches the same states, with and without the reduction.
    expect(exploreReplicasDepthFirst(b)).toMatchObject({ exhausted: true, violation: null, distinct: full.distinct });
    expect(exploreReplicasDepthFirst({ ...b, por: true })).toMatchObject({ exhausted: true, violation: null, distinct: por.distinct });
  });

  it('INV-24: over the ideal ZAB a client that moves between servers is never refused a live session (254,664 states would be the whole space; 20,000 here)', () => {
    const b: ReplicaBounds = { ...DEFAULT_REPLICA_BOUNDS, zab: 'ideal', scripts: 'plain', clients: 1, crashes: 0, times: 0, moves: 1 };
    const r = exploreReplicas(b, 20_000);
    expect(r.violation).toBeNull();
    expect(r.distinct).toBe(20_000);
  });
});

describe('a txn of an earlier run of a server answers no request of its next run (SERVER-10)', () => {
  // Found by comparing --por with the full search (one client, a crash): final states differed.
  // The client's createSession reaches leader 3, which crashes before committing it; the new
  // leader keeps it and commits it; 3 restarts, the client connects to it again, and 3 delivers
  // the old txn — whose origin, {3, 1}, was also the number of the new connect while request
  // numbers started at 1 in every run: the new connect was answered with the old session.
  it('the restarted server delivers the kept createSession without answering the new connect with it', () => {
    const b: ReplicaBounds = { ...DEFAULT_REPLICA_BOUNDS, zab: 'ideal', scripts: 'plain', clients: 1, crashes: 1, times: 0, moves: 0 };
    const path: ReplicaAction[] = [
      { type: 'connect', client: 1, server: 3 },
      { type: 'ideal', action: { type: 'crash', sid: 3 } },
      { type: 'ideal', action: { type: 'notice', sid: 1 } },
      { type: 'ideal', action: { type: 'notice', sid: 2 } },
      { type: 'ideal', action: { type: 'elect', sid: 1, keep: 1, epoch: 2 } },
      { type: 'ideal', action: { type: 'restart', sid: 3 } },
      { type: 'ideal', action: { type: 'join', sid: 3 } },
      { type: 'connect', client: 1, server: 3 },
    ];
    let w = initialReplicas(b);
    for (const a of path) w = stepReplicas(w, a, b);
    const old = w.ideal.log[0]!.value;
    expect(old.kind === 'txn' && old.txn.op.type === 'createSession' && old.origin?.server === 3).toBe(true);
    w = stepReplicas(w, { type: 'ideal', action: { type: 'deliver', sid: 3 } }, b);
    expect(w.servers[3]!.lastZxid).toBe(w.ideal.log[0]!.zxid);
    expect(w.clients[0]).toMatchObject({ at: 3, established: false, session: null });
    expect(checkReplicaInvariants(w)).toEqual([]);
  });
});
