// The spec's invariants over a simulated run, two ways.
// As the run goes (RunInvariants), from the servers' own states, without the checker's ghost
// variables: equal trees at equal zxids (TREE-27's digest) and a serving tree at the zxid its ZAB
// delivered (INV-20), what every server delivered one sequence (INV-3, and INV-8's "position by
// position": one txn per zxid across servers), delivered in zxid order without gaps within an
// epoch (INV-4, INV-5), one established leader per epoch (INV-7), epochs in order (INV-10, in
// memory), well-formed histories (INV-11), a follower's history a prefix of its leader's (INV-13),
// a new leader holding every txn delivered before it (INV-9), a leader's proposals being its
// undelivered txns (INV-12), and every replica's tree whole with ephemerals exactly those of its
// live sessions (INV-19, INV-21). The txn at a zxid is known by its value (session, time, type,
// the leader's digest after it), so two different txns at one zxid never pass for one.
// At the end (specInvariants): every step each server took, judged with the ghost state as
// `zabkit replay` judges a trace: INV-1..18 after every step, and PERSIST-1 at every restart.
import { counterOf, epochOf, formatZxid } from '../src/zab/zxid.ts';
import type { Entry } from '../src/server/types.ts';
import type { Config, Effect, Input, ServerState, Txn } from '../src/zab/types.ts';
import { TRACE_VERSION, type TraceEvent } from '../conformance/trace-schema.ts';
import { intern } from '../conformance/replay.ts';
import { replay } from '../model/trace.ts';
import { traceJson } from '../src/shell/trace-writer.ts';
import type { Violation } from './checks.ts';
import { treeInvariants } from '../model/client-invariants.ts';
import type { Tree } from '../src/tree/index.ts';
import type { SimServer } from './server-node.ts';

const keyOf = (t: Txn<Entry>): string | null => (t.value.kind === 'txn' ? `${t.value.txn.session}/${t.value.txn.time}/${t.value.txn.op.type}/${t.value.txn.digest ?? '-'}` : null);

interface Cursor {
  /** The process (a restart starts over: its state was rebuilt from disk). */
  readonly incarnation: object;
  delivered: number;
}

export class RunInvariants {
  private readonly committed = new Map<number, { readonly key: string; readonly sid: number }>();
  private readonly leaders = new Map<number, number>();
  private readonly cursors = new Map<number, Cursor>();
  private steps = 0;
  readonly violations: Violation[] = [];
  /** Each txn as some server delivers it (the first time, and again after a restart). */
  onDelivered: (txn: Txn<Entry>) => void = () => {};
  private readonly reported = new Set<string>();

  private violate(id: string, detail: string): void {
    if (this.reported.has(id)) return; // the first of each kind says enough
    this.reported.add(id);
    this.violations.push({ id, detail });
  }

  /** The tree digest each zxid was first seen with, and where (TREE-27: equal trees at equal zxids). */
  private readonly digests = new Map<number, { readonly digest: number; readonly sid: number }>();

  /** After an event: judge the simulated servers that are up and running a ZAB node (`last`: every check, as a run ends). */
  observeSims(sims: Iterable<SimServer>, last = false): void {
    const running = [];
    for (const s of sims) {
      const srv = s.up ? s.server : undefined;
      const zab = srv?.zab;
      if (srv && zab) running.push({ sid: s.sid, incarnation: s.proc!, zab, tree: srv.serving ? { zxid: srv.lastZxid, digest: srv.tree.digest, nodes: srv.tree } : null });
    }
    this.observe(running, last);
  }

  /**
   * After an event: the states of the servers that are up and running a ZAB node, and, of those
   * serving, their committed tree's last zxid and digest.
   */
  observe(servers: readonly { readonly sid: number; readonly incarnation: object; readonly zab: ServerState<Entry>; readonly tree: { readonly zxid: number; readonly digest: number; readonly nodes: Tree } | null }[], last = false): void {
    const full = ++this.steps % 64 === 0 || last;
    for (const { sid, incarnation, zab, tree } of servers) {
      if (tree) {
        // INV-20: a serving server's tree is the one its ZAB deliveries built
        if (tree.zxid !== zab.deliveredZxid) this.violate('INV-20', `s${sid}'s tree is at ${formatZxid(tree.zxid)}, its ZAB delivered up to ${formatZxid(zab.deliveredZxid)}`);
        if (full) for (const v of treeInvariants(sid, tree.nodes)) this.violate(v.id, v.detail);
        const seen = this.digests.get(tree.zxid);
        if (!seen) this.digests.set(tree.zxid, { digest: tree.digest, sid });
        else if (seen.digest !== tree.digest) this.violate('SIM-DIVERGE', `at ${formatZxid(tree.zxid)} s${sid}'s tree differs from s${seen.sid}'s`);
      }
      if (zab.currentEpoch > zab.acceptedEpoch) this.violate('INV-10', `s${sid}: currentEpoch ${zab.currentEpoch} > acceptedEpoch ${zab.acceptedEpoch}`);
      if (zab.phase === 'leading' && zab.stage === 'broadcast') {
        const other = this.leaders.get(zab.epoch);
        if (other === undefined) {
          this.leaders.set(zab.epoch, sid);
          this.holdsCommitted(sid, zab);
        } else if (other !== sid) this.violate('INV-7', `epoch ${zab.epoch} had established leaders s${other} and s${sid}`);
        if (full) this.bookkeeping(sid, zab);
      }
      this.deliveries(sid, incarnation, zab);
      if (full) this.wellFormed(sid, zab);
    }
    if (full) this.prefixes(servers);
  }

  /** What `sid` delivered since the last look: in order, one txn per zxid across servers. */
  private deliveries(sid: number, incarnation: object, zab: ServerState<Entry>): void {
    let c = this.cursors.get(sid);
    if (!c || c.incarnation !== incarnation) {
      c = { incarnation, delivered: zab.deliveredZxid };
      this.cursors.set(sid, c);
      return;
    }
    if (zab.deliveredZxid === c.delivered) return;
    const h = zab.history;
    // The newly delivered entries: from the end of the history back to the last one seen.
    let i = h.length - 1;
    while (i >= 0 && h[i]!.zxid > zab.deliveredZxid) i--;
    const fresh: Txn<Entry>[] = [];
    for (; i >= 0 && h[i]!.zxid > c.delivered; i--) fresh.push(h[i]!);
    fresh.reverse();
    let prev = c.delivered;
    for (const t of fresh) {
      if (t.snapshot) {
        prev = t.zxid; // a SNAP's snapshot: what it stands for was delivered elsewhere
        continue;
      }
      if (t.zxid <= prev) this.violate('INV-5', `s${sid} delivered ${formatZxid(t.zxid)} after ${formatZxid(prev)}`);
      else if (epochOf(t.zxid) === epochOf(prev) && prev !== 0 && counterOf(t.zxid) !== counterOf(prev) + 1) this.violate('INV-4', `s${sid} delivered ${formatZxid(t.zxid)} right after ${formatZxid(prev)}`);
      this.onDelivered(t);
      const key = keyOf(t);
      if (key !== null) {
        const seen = this.committed.get(t.zxid);
        if (!seen) this.committed.set(t.zxid, { key, sid });
        else if (seen.key !== key) this.violate('INV-3', `at ${formatZxid(t.zxid)} s${sid} delivered another txn than s${seen.sid}`);
      }
      prev = t.zxid;
    }
    c.delivered = zab.deliveredZxid;
  }

  /**
   * INV-9: a leader, once established, holds every txn some server delivered before (committed
   * before its epoch began), at its zxid, or under its snapshot.
   */
  private holdsCommitted(sid: number, zab: ServerState<Entry>): void {
    const h = zab.history;
    const base = h[0]?.snapshot ? h[0].zxid : 0;
    const at = new Map(h.map((t) => [t.zxid, t] as const));
    for (const [z, { key, sid: from }] of this.committed) {
      if (z <= base) continue;
      const t = at.get(z);
      if (!t || keyOf(t) !== key) return this.violate('INV-9', `leader s${sid} of epoch ${zab.phase === 'leading' ? zab.epoch : '?'} lacks ${formatZxid(z)}, which s${from} delivered`);
    }
  }

  /** INV-12: an established leader's outstanding proposals are its history past what it delivered, in order. */
  private bookkeeping(sid: number, zab: ServerState<Entry>): void {
    if (zab.phase !== 'leading') return;
    const rest = zab.history.filter((t) => t.zxid > zab.deliveredZxid);
    if (rest.length !== zab.proposals.length || rest.some((t, i) => t.zxid !== zab.proposals[i]!.zxid)) {
      this.violate('INV-12', `leader s${sid}: ${zab.proposals.length} proposals for ${rest.length} undelivered txns`);
    }
  }

  private wellFormed(sid: number, zab: ServerState<Entry>): void {
    const h = zab.history;
    for (let i = 1; i < h.length; i++) {
      if (h[i]!.zxid <= h[i - 1]!.zxid) return this.violate('INV-11', `s${sid}: ${formatZxid(h[i]!.zxid)} after ${formatZxid(h[i - 1]!.zxid)} in its history`);
      if (h[i]!.snapshot) return this.violate('INV-11', `s${sid}: a snapshot entry at position ${i}`);
    }
  }

  /** INV-13: a follower in broadcast whose leader is established in its epoch holds a prefix of that leader's history. */
  private prefixes(servers: readonly { readonly sid: number; readonly zab: ServerState<Entry> }[]): void {
    for (const { sid, zab } of servers) {
      if (zab.phase !== 'following' || zab.stage !== 'broadcast') continue;
      const l = servers.find((x) => x.sid === zab.leader)?.zab;
      if (!l || l.phase !== 'leading' || l.stage !== 'broadcast' || l.epoch !== zab.currentEpoch) continue;
      const lz = new Map(l.history.map((t) => [t.zxid, t] as const));
      for (const t of zab.history) {
        if (t.snapshot || t.zxid <= (l.history[0]?.zxid ?? 0)) continue; // below the leader's own snapshot: compacted there
        const o = lz.get(t.zxid);
        if (!o || keyOf(o) !== keyOf(t)) return this.violate('INV-13', `follower s${sid} holds ${formatZxid(t.zxid)}, which leader s${zab.leader}'s history does not`);
      }
    }
  }
}

/**
 * One ZAB step of one server, as its trace line (made at once: a step given ownership of its
 * state may reuse, later, arrays its effects point into).
 */
export type ZabStep = string;

export function zabStep(node: number, input: Input<Entry>, effects: readonly Effect<Entry>[], config: Config): ZabStep {
  return traceJson({ v: TRACE_VERSION, seq: 0, node, input, effects, ...(input.type === 'restart' ? { config } : {}) });
}

/**
 * Every invariant of the spec (model/invariants.ts, with its ghost state: the one committed
 * sequence, the proposals, the leaders of each epoch) over every step the servers took, in the
 * order taken: the steps are re-run through ZAB's `step` (model/trace.ts replay, as `zabkit
 * replay` does a traced run), each must have the effects the server's had, and the invariants are
 * judged after each; a restart must find on disk everything a completed write had made durable.
 */
export function specInvariants(steps: readonly ZabStep[]): (Violation & { readonly step: number }) | null {
  const events = steps.map((line, seq) => ({ ...(JSON.parse(line) as TraceEvent), seq }));
  intern(events); // equal values one object, as the invariants compare them
  const r = replay(events);
  const at = (seq: number, node: number | undefined) => `at step ${seq}${node === undefined ? '' : ` (s${node})`}`;
  if (r.violation) return { id: r.violation.id, detail: `${r.violation.detail} (the spec's invariants over the servers' steps, ${at(r.violation.seq, r.violation.node)})`, step: r.violation.seq };
  if (r.lost) return { id: 'PERSIST-1', detail: `s${r.lost.node} ${r.lost.detail} (${at(r.lost.seq, r.lost.node)})`, step: r.lost.seq };
  if (r.mismatch) return { id: 'SIM-STEP', detail: `s${r.mismatch.node ?? '?'}'s step ${r.mismatch.seq} re-run through ZAB gave other effects than the server's: ${JSON.stringify(r.mismatch.replayed).slice(0, 300)}`, step: r.mismatch.seq };
  return null;
}
