// What the explorer shows of a run, computed in Node from the run's trace events: every step in one
// global order (who stepped, on what input, with which effects), every server's state after each
// step as `zabkit replay` computes it (the same replay, its onStep hook), every message as an
// arrow from the step that gave it to the transport to the step that received it (or none: lost),
// and the invariants' verdicts per step. The page only draws this; it decides nothing.
import type { TraceEvent } from '../conformance/trace-schema.ts';
import { channelOf, type OrderedRun } from '../conformance/replay.ts';
import { describeMessage, describeRole } from '../model/describe.ts';
import { replay } from '../model/trace.ts';
import type { Violation } from '../model/invariants.ts';
import type { World } from '../model/world.ts';
import { formatZxid, lastZxid, type Message, type ServerState, type Sid, type Txn } from '../src/zab/index.ts';
import { decodeTxn } from '../src/wire/txn.ts';
import { apply as applyTree, emptyTree, type Znode } from '../src/tree/index.ts';
import { INVARIANT_IDS, RULES } from './spec-text.ts';

/** A txn as the page shows it (one entry per distinct txn of the run). */
export interface TxnView {
  readonly zxid: string;
  readonly value: string;
  readonly snapshot: boolean;
}

/** One server's state after a step; equal states are stored once (the run's `views`). */
export interface ServerView {
  readonly sid: Sid;
  readonly down: boolean;
  /** describeRole's line: `leading epoch=1 (broadcast)`, `down`, … */
  readonly role: string;
  readonly phase: string;
  readonly stage: string;
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  readonly vote: string;
  /** Its history: indices into the run's `txns`. */
  readonly history: readonly number[];
  /** How many of its history's entries it has delivered (a prefix: the history is in zxid order). */
  readonly delivered: number;
  /** The zxid it has delivered up to (as a number: epoch·2^32 + counter). */
  readonly deliveredZxid: number;
  /** What is on its disk. */
  readonly disk: { readonly acceptedEpoch: number; readonly currentEpoch: number; readonly lastZxid: string; readonly entries: number };
  /** Persists issued and not yet durable. */
  readonly pending: number;
}

export interface StepView {
  readonly index: number;
  readonly node: Sid;
  readonly seq: number;
  readonly kind: string;
  /** One line: what happened at this step. */
  readonly label: string;
  readonly input: unknown;
  readonly effects: readonly unknown[];
  /** Every server's state after this step: indices into the run's `views`, in the order of `servers`. */
  readonly servers: readonly number[];
  /** The txns committed so far: an index into the run's `committed` (sets of indices into `txns`). */
  readonly committed: number;
  readonly violations: readonly Violation[];
  /** The spec rules whose branches decided this step, as the reducer named them (Ctx.rule). */
  readonly rules: readonly string[];
}

export interface MessageView {
  readonly id: string;
  readonly from: Sid;
  readonly to: Sid;
  readonly channel: 'election' | 'quorum';
  /** The step that gave it to the transport. */
  readonly sent: number;
  /** The step that received it; null when none did (lost on a broken connection or a crash, or still in flight when the run ends). */
  readonly received: number | null;
  readonly label: string;
  readonly msg: unknown;
}

export interface ExploreRun {
  readonly title: string;
  readonly source: string;
  readonly servers: readonly Sid[];
  readonly steps: readonly StepView[];
  readonly txns: readonly TxnView[];
  readonly views: readonly ServerView[];
  readonly committed: readonly (readonly number[])[];
  readonly messages: readonly MessageView[];
  /** Every invariant the steps are judged by: id, name, text. */
  readonly invariants: readonly { readonly id: string; readonly name: string; readonly text: string }[];
  /** Every spec rule's text by id (a rule id on the page opens it). */
  readonly rules: Readonly<Record<string, string>>;
  /** Where replay stopped early: a mismatch, a lost write, or the first broken invariant. */
  readonly ending: string | null;
  /** The violation a counterexample was written for (the checker's), at its step. */
  readonly counterexample: { readonly id: string; readonly detail: string; readonly step: number } | null;
  /** Comments that narrate the run, by the step they come before. */
  readonly narration: readonly { readonly step: number; readonly text: string }[];
  /** For runs whose txns are the data tree's (real and simulated servers): what each committed txn changed. */
  readonly tree: TreeChanges | null;
}

/** A znode as the page lists it. */
export interface ZnodeView {
  readonly data: string;
  readonly version: number;
  /** The owning session of an ephemeral node, in hex; '' otherwise. */
  readonly owner: string;
}

/**
 * The committed txns in order, each with its zxid and the znodes it changed (null: deleted); a
 * replica that delivered up to zxid z holds the changes of every committed txn ≤ z (a snapshot
 * stands for the txns it covers), so the page rebuilds each replica's znodes from these.
 */
export interface TreeChanges {
  /** The tree before any txn (the root and /zookeeper's nodes). */
  readonly base: readonly [string, ZnodeView][];
  readonly zxids: readonly number[];
  readonly changes: readonly (readonly [string, ZnodeView | null][])[];
}

/** A txn value as one short text: the model's numbers and strings as they are, a real txn as its operation. */
function valueText(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'string') return String(v);
  const o = v as { kind?: string; txn?: string };
  if (o && o.kind === 'txn' && typeof o.txn === 'string') {
    const d = decodeTxn(Buffer.from(o.txn, 'base64'));
    if (!d.ok) return 'txn';
    const op = d.value.op as { type: string; path?: string };
    return op.path ? `${op.type} ${op.path}` : op.type;
  }
  if (o && o.kind === 'base') return 'snapshot';
  return JSON.stringify(v);
}

/** Tables that store each distinct txn, server state and committed set once. */
class Tables {
  readonly txns: TxnView[] = [];
  readonly views: ServerView[] = [];
  readonly committed: number[][] = [];
  private readonly txnIds = new Map<string, number>();
  private readonly viewIds = new Map<string, number>();
  private readonly committedIds = new Map<unknown, number>();
  /** The ghost's committed lists, as given. */
  readonly committedLists: (readonly Txn<unknown>[])[] = [];

  /** Each value's text, once: a real txn's takes a decode (values are interned: equal ones are one object). */
  private readonly texts = new Map<unknown, string>();

  txn(t: Txn<unknown>): number {
    let text = this.texts.get(t.value);
    if (text === undefined) this.texts.set(t.value, (text = valueText(t.value)));
    const v: TxnView = { zxid: formatZxid(t.zxid), value: t.snapshot ? 'snapshot' : text, snapshot: t.snapshot === true };
    const key = `${v.zxid}|${v.value}|${v.snapshot}`;
    let id = this.txnIds.get(key);
    if (id === undefined) this.txnIds.set(key, (id = this.txns.push(v) - 1));
    return id;
  }

  view(v: ServerView): number {
    const key = JSON.stringify(v);
    let id = this.viewIds.get(key);
    if (id === undefined) this.viewIds.set(key, (id = this.views.push(v) - 1));
    return id;
  }

  /** The ghost's committed list (the same array object while nothing new commits). */
  committedSet(list: readonly Txn<unknown>[]): number {
    let id = this.committedIds.get(list);
    if (id === undefined) {
      this.committedIds.set(list, (id = this.committed.push(list.map((t) => this.txn(t))) - 1));
      this.committedLists.push(list);
    }
    return id;
  }
}

function serverView(t: Tables, world: World<unknown>, sid: Sid): ServerView {
  const slot = world.slots[sid]!;
  const s = slot.server as ServerState<unknown> | null;
  const history = s?.history ?? slot.durable.history;
  const d = slot.durable;
  return {
    sid,
    down: s === null,
    role: s ? describeRole(s) : 'down',
    phase: s?.phase ?? 'down',
    stage: s && 'stage' in s ? s.stage : '',
    acceptedEpoch: s?.acceptedEpoch ?? d.acceptedEpoch,
    currentEpoch: s?.currentEpoch ?? d.currentEpoch,
    vote: s ? (s.vote.leader < 0 ? 'none' : `s${s.vote.leader}@${s.vote.epoch}/${formatZxid(s.vote.zxid)}`) : '',
    history: history.map((x: Txn<unknown>) => t.txn(x)),
    delivered: s === null ? 0 : history.filter((x: Txn<unknown>) => x.zxid <= s.deliveredZxid).length,
    deliveredZxid: s?.deliveredZxid ?? 0,
    disk: { acceptedEpoch: d.acceptedEpoch, currentEpoch: d.currentEpoch, lastZxid: formatZxid(lastZxid(d.history)), entries: d.history.length },
    pending: slot.pending.length,
  };
}

const DOWN = (sid: Sid): ServerView => ({ sid, down: true, role: 'down', phase: 'down', stage: '', acceptedEpoch: 0, currentEpoch: 0, vote: '', history: [], delivered: 0, deliveredZxid: 0, disk: { acceptedEpoch: 0, currentEpoch: 0, lastZxid: '0.0', entries: 0 }, pending: 0 });

function stepLabel(e: TraceEvent): string {
  const i = e.input as { type: string; from?: Sid; msg?: Message<unknown>; timer?: string; ticket?: number; peer?: Sid; value?: unknown; zxid?: number };
  const s = `s${e.node}`;
  switch (i.type) {
    case 'receive':
      return `${s} receives ${describeMessage(i.msg!)} from s${i.from}`;
    case 'timeout':
      return `${s}: the ${i.timer} timer fires`;
    case 'persisted':
      return `${s}: its disk completes write #${i.ticket}`;
    case 'restart':
      return `${s} starts from its disk`;
    case 'propose':
      return `${s}: a client writes ${valueText(i.value)}`;
    case 'disconnected':
      return `${s} notices its link to s${i.peer} broke`;
    case 'compacted':
      return `${s}: a snapshot at ${formatZxid(i.zxid ?? 0)} is written`;
    default:
      return `${s}: ${i.type}`;
  }
}

/** Matches each send to its receive: by id where the trace has ids (real runs), else FIFO per channel by content (a checker's file). */
function messagesOf(run: OrderedRun): MessageView[] {
  const order = run.order;
  const globalIndex = new Map<TraceEvent, number>(order.map((e, i) => [e, i]));
  const out: MessageView[] = [];
  if (run.sent.size > 0) {
    // The sender's event that transmitted it: `at` indexes that server's own events.
    const byNode = new Map<Sid, TraceEvent[]>();
    for (const e of order) {
      const list = byNode.get(e.node);
      if (list) list.push(e);
      else byNode.set(e.node, [e]);
    }
    const receivedAt = new Map<string, number>();
    order.forEach((e, i) => e.recv !== undefined && receivedAt.set(e.recv, i));
    for (const [id, s] of run.sent) {
      const sender = byNode.get(s.from)?.[s.at];
      if (!sender) continue;
      const msg = s.msg as Message<unknown>;
      out.push({ id, from: s.from, to: s.to, channel: s.channel === 'election' ? 'election' : 'quorum', sent: globalIndex.get(sender)!, received: receivedAt.get(id) ?? null, label: describeMessage(msg), msg });
    }
    return out.sort((a, b) => a.sent - b.sent);
  }
  // No ids: sends leave at their step (held ones at the sender's next persisted step covering their
  // ticket); a receive takes the oldest unreceived send on its channel with the same content.
  const held = new Map<Sid, { ticket: number; to: Sid; msg: unknown }[]>();
  /** Per channel: indices into `out` of the sends not yet received, oldest first. */
  const queues = new Map<string, number[]>();
  const key = (from: Sid, to: Sid, msg: unknown) => `${from}>${to}/${channelOf(msg)}`;
  const send = (i: number, from: Sid, to: Sid, msg: unknown) => {
    out.push({ id: `m${out.length}`, from, to, channel: channelOf(msg), sent: i, received: null, label: describeMessage(msg as Message<unknown>), msg });
    const k = key(from, to, msg);
    const q = queues.get(k);
    if (q) q.push(out.length - 1);
    else queues.set(k, [out.length - 1]);
  };
  order.forEach((e, i) => {
    const input = e.input as { type: string; from?: Sid; msg?: unknown; ticket?: number };
    if (input.type === 'receive') {
      const q = queues.get(key(input.from!, e.node, input.msg)) ?? [];
      const text = JSON.stringify(input.msg);
      const k = q.findIndex((m) => JSON.stringify(out[m]!.msg) === text);
      if (k >= 0) {
        out[q[k]!] = { ...out[q[k]!]!, received: i };
        q.splice(0, k + 1); // the older ones were lost on the way
      }
    }
    if (input.type === 'restart') held.set(e.node, []);
    if (input.type === 'persisted') {
      const mine = held.get(e.node) ?? [];
      for (const h of mine.filter((h) => h.ticket <= input.ticket!)) send(i, e.node, h.to, h.msg);
      held.set(e.node, mine.filter((h) => h.ticket > input.ticket!));
    }
    for (const eff of e.effects as { type: string; to?: Sid; msg?: unknown; ticket?: number }[]) {
      if (eff.type === 'send') send(i, e.node, eff.to!, eff.msg);
      if (eff.type === 'sendAfterPersist') held.set(e.node, [...(held.get(e.node) ?? []), { ticket: eff.ticket!, to: eff.to!, msg: eff.msg }]);
    }
  });
  return out;
}

/** The explorer's view of an ordered run (see conformance/replay.ts orderRun). */
/** What each committed txn did to the data tree, when the run's txns are the tree's (else null). */
function treeChanges(committed: readonly Txn<unknown>[]): TreeChanges | null {
  const decoded = committed.map((t) => {
    const o = t.value as { kind?: string; txn?: string } | null;
    if (!o || o.kind !== 'txn' || typeof o.txn !== 'string') return null;
    const d = decodeTxn(Buffer.from(o.txn, 'base64'));
    return d.ok ? d.value : null;
  });
  if (decoded.length === 0 || decoded.some((d) => d === null)) return null;
  let tree = emptyTree();
  const text = (data: Uint8Array | null) => {
    if (!data) return '';
    const s = Buffer.from(data).toString('utf8');
    return s.length > 40 ? `${s.slice(0, 40)}…` : s;
  };
  const view = (z: Znode): ZnodeView => ({ data: text(z.data), version: z.version, owner: z.kind.type === 'ephemeral' ? BigInt(z.kind.owner).toString(16) : '' });
  const base: [string, ZnodeView][] = [...tree.nodes].map(([path, z]) => [path, view(z)]);
  const changes = decoded.map((txn) => {
    const before = tree.nodes;
    tree = applyTree(tree, txn!).tree;
    const out: [string, ZnodeView | null][] = [];
    for (const [path, z] of tree.nodes) if (before.get(path) !== z) out.push([path, view(z)]);
    for (const path of before.keys()) if (!tree.nodes.has(path)) out.push([path, null]);
    return out;
  });
  return { base, zxids: committed.map((t) => t.zxid), changes };
}

export function exploreRun(run: OrderedRun, title: string, source: string, narration: ExploreRun['narration'] = []): ExploreRun {
  const tables = new Tables();
  const raw: (Omit<StepView, 'servers'> & { views: Map<Sid, number> })[] = [];
  const r = replay(run.order, (index, world, violations, rules) => {
    const e = run.order[index]!;
    raw.push({
      index,
      node: e.node,
      seq: e.seq,
      kind: (e.input as { type: string }).type,
      label: stepLabel(e),
      input: e.input,
      effects: e.effects,
      views: new Map(world.sids.map((sid) => [sid, tables.view(serverView(tables, world, sid))])),
      committed: tables.committedSet(world.ghost.committed),
      violations: [...violations, ...(e.violation ? [e.violation] : [])].filter((v, k, all) => all.findIndex((w) => w.id === v.id) === k),
      rules,
    });
  });
  // Every server on every step: one not started yet is down.
  const servers = [...new Set(raw.flatMap((st) => [...st.views.keys()]))].sort((a, b) => a - b);
  const steps: StepView[] = raw.map(({ views, ...st }) => ({ ...st, servers: servers.map((sid) => views.get(sid) ?? tables.view(DOWN(sid))) }));
  const ending = r.mismatch
    ? `replay stopped at seq ${r.mismatch.seq}: the recorded effects are not what step returns`
    : r.lost
      ? `a write was lost at seq ${r.lost.seq}: ${r.lost.detail}`
      : r.violation
        ? `${r.violation.id} broken at seq ${r.violation.seq}: ${r.violation.detail}`
        : null;
  // An invariant without a name in the spec is named by its text's first clause.
  const nameOf = (id: string) => RULES[id]?.name || (RULES[id]?.text ?? '').split(/[.:;(]/)[0]!.trim();
  const cx = run.order.findIndex((e) => e.violation !== undefined);
  // The longest committed sequence the run reached (the ghost's list only grows).
  const longest = tables.committedLists.reduce<readonly Txn<unknown>[]>((a, b) => (b.length > a.length ? b : a), []);
  return {
    title,
    source,
    servers,
    steps,
    txns: tables.txns,
    views: tables.views,
    committed: tables.committed,
    messages: messagesOf(run).filter((m) => m.sent < steps.length),
    invariants: INVARIANT_IDS.map((id) => ({ id, name: nameOf(id), text: RULES[id]?.text ?? '' })),
    rules: Object.fromEntries(Object.entries(RULES).map(([id, rule]) => [id, rule.text])),
    ending,
    counterexample: cx >= 0 ? { ...run.order[cx]!.violation!, step: cx } : null,
    narration,
    tree: treeChanges(longest),
  };
}
