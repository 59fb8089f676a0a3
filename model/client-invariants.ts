// The client-level invariants (spec/invariants.md INV-19..26), judged on whole replicas
// (model/replicas.ts): what a ZooKeeper user sees of the replicated tree.
import { SCRIPTS, type ReplicaBounds, type Replicas } from './replicas.ts';
import { checkInvariants, type Violation } from './invariants.ts';
import { idealDeliveredZxid } from './ideal-zab.ts';
import type { World } from './world.ts';
import type { Tree } from '../src/tree/index.ts';

/**
 * INV-1..18 on the ZAB world (over the ideal ZAB, none: it is not a protocol), the step checks
 * recorded as the replicas ran (INV-22, INV-23, INV-24, INV-26), then INV-19..21 on the replicas' trees.
 */
export function checkReplicaInvariants(w: Replicas): Violation[] {
  const out: Violation[] = [...(w.zab ? checkInvariants(w.zab as unknown as World<number>) : []), ...w.violations];
  const seen = new Map<number, { sid: number; digest: number; size: number }>();
  for (const sid of w.ideal.sids) {
    const r = w.servers[sid];
    const z = w.zab?.slots[sid]!.server;
    if (!r || z === null) continue;
    const delivered = z ? z.deliveredZxid : idealDeliveredZxid(w.ideal, sid);
    const tree = r.tree;
    // INV-20: the server's tree is the one its ZAB deliveries built, and agrees with every other at that zxid.
    if (r.lastZxid !== delivered) out.push({ id: 'INV-20', detail: `server ${sid}'s tree is at ${r.lastZxid.toString(16)}, its ZAB delivered up to ${delivered.toString(16)}` });
    const other = seen.get(r.lastZxid);
    if (other && (other.digest !== tree.digest || other.size !== tree.nodes.size)) {
      out.push({ id: 'INV-20', detail: `servers ${other.sid} and ${sid} both delivered up to ${r.lastZxid.toString(16)} but their trees differ` });
    }
    if (!other) seen.set(r.lastZxid, { sid, digest: tree.digest, size: tree.nodes.size });
    // INV-19: every acknowledged write is in the tree of each replica that has delivered that far
    // (an ephemeral while its session lives there; a container until reaped, which INV-19's second
    // half guards: the tree is whole, every node has its parent).
    for (const a of w.acked) {
      if (a.zxid > r.lastZxid || tree.nodes.has(a.path)) continue;
      if (a.kind === 'container' || (a.kind === 'ephemeral' && !tree.sessions.has(a.session))) continue;
      out.push({ id: 'INV-19', detail: `server ${sid} delivered up to ${r.lastZxid.toString(16)} but lacks ${a.path}, acknowledged at ${a.zxid.toString(16)}` });
    }
    out.push(...treeInvariants(sid, tree));
  }
  return out;
}

/**
 * On one replica's tree: INV-19's second half (the tree is whole: every node listed by its
 * parent) and INV-21 (ephemerals exactly those of the sessions live in that tree).
 */
export function treeInvariants(sid: number, tree: Tree): Violation[] {
  const out: Violation[] = [];
  for (const [path, node] of tree.nodes) {
    if (path === '/') continue;
    const parent = path.slice(0, Math.max(1, path.lastIndexOf('/')));
    if (!tree.nodes.get(parent)?.children.has(path.slice(path.lastIndexOf('/') + 1))) {
      out.push({ id: 'INV-19', detail: `server ${sid} holds ${path} without its parent ${parent}` });
    }
    // INV-21: an ephemeral node exists exactly while its owner session lives, in this replica's view.
    if (node.kind.type === 'ephemeral' && !tree.sessions.has(node.kind.owner)) {
      out.push({ id: 'INV-21', detail: `server ${sid} holds ephemeral ${path} of session ${node.kind.owner.toString(16)}, which it has closed` });
    }
  }
  for (const [id, session] of tree.sessions) {
    for (const path of session.ephemerals) {
      if (!tree.nodes.has(path)) out.push({ id: 'INV-21', detail: `server ${sid}: live session ${id.toString(16)} lists ephemeral ${path}, which is gone` });
    }
  }
  return out;
}

/**
 * INV-25, on a state with nothing left to do: no client waits forever on a connection. Each that
 * holds one has ended its session (closed it, or been refused it) or, where clients keep their
 * sessions, is connected with its script done and no request in flight.
 */
export function checkFinal(w: Replicas, b: ReplicaBounds): Violation[] {
  const out: Violation[] = [];
  for (const c of w.clients) {
    // Without a connection it would connect if any server served: the ensemble is down, ZAB's liveness (LIVE), not the server's.
    if (c.conn === null || c.ended) continue;
    if (b.closes === false && c.established && c.waiting === null && c.next >= SCRIPTS[b.scripts][c.id - 1]!.length) continue;
    const how = c.established ? `on its connection to server ${c.at}, waiting for a reply` : `for server ${c.at} to answer its ConnectRequest`;
    out.push({ id: 'INV-25', detail: `nothing is left to do, and client ${c.id} waits forever ${how}` });
  }
  return out;
}
