// spec/persistence.md PERSIST-2, PERSIST-3 — the executor's bookkeeping, pure: the persist queue in
// ticket order, which persists complete together (group commit), and the messages held until a
// persist is durable. The model's world, the shell's ZabNode and replay all execute effects with
// it, so that what the checker explores is what runs. It decides only what the spec says: when a
// message may leave, and which completions belong together.
import type { Effect, Message, PersistOp, Sid } from './types.ts';

/** A message waiting to leave: for persist `ticket` (0: none, a plain send queued behind a held one). */
export interface Held<T> {
  readonly ticket: number;
  readonly to: Sid;
  readonly msg: Message<T>;
  /** The shell's message id when tracing; the model never sets it. */
  readonly id?: string;
}

export interface PendingPersist<T> {
  readonly ticket: number;
  readonly op: PersistOp<T>;
}

export interface Executor<T> {
  /** Persists issued and not yet durable, in ticket order (PERSIST-2). */
  readonly pending: readonly PendingPersist<T>[];
  /** The last ticket durable since the server's (re)start. */
  readonly completed: number;
  /** Held messages in emission order (PERSIST-3). */
  readonly outbox: readonly Held<T>[];
}

export const IDLE: Executor<never> = { pending: [], completed: 0, outbox: [] };

/** What leaves now: messages to hand to the transport, in order. */
export type Outgoing<T> = readonly Held<T>[];

/**
 * Take one effect's part in the bookkeeping. A send leaves at once unless a message to the same
 * destination is held (then it queues behind it); a sendAfterPersist leaves at once if its ticket
 * is durable and nothing to that destination is held; a persist joins the queue. Other effects
 * are not the executor's and change nothing.
 */
export function issue<T>(x: Executor<T>, e: Effect<T>, id?: string): [Executor<T>, Outgoing<T>] {
  switch (e.type) {
    case 'send':
    case 'sendAfterPersist': {
      const ticket = e.type === 'send' ? 0 : e.ticket;
      const h: Held<T> = id === undefined ? { ticket, to: e.to, msg: e.msg } : { ticket, to: e.to, msg: e.msg, id };
      if (ticket <= x.completed && !x.outbox.some((o) => o.to === e.to)) return [x, [h]];
      return [{ ...x, outbox: [...x.outbox, h] }, []];
    }
    case 'persist':
      return [{ ...x, pending: [...x.pending, { ticket: e.ticket, op: e.op }] }, []];
    default:
      return [x, []];
  }
}

/**
 * The persists that complete together when the disk next finishes a write: the first pending one,
 * and after an append every append queued right behind it (group commit: one durable write).
 */
export function nextBatch<T>(x: Executor<T>): readonly PendingPersist<T>[] {
  const first = x.pending[0];
  if (!first) return [];
  if (first.op.kind !== 'append') return [first];
  let n = 1;
  while (n < x.pending.length && x.pending[n]!.op.kind === 'append') n++;
  return x.pending.slice(0, n);
}

/**
 * Persists up to `ticket` are durable (PERSIST-2: in order, so one completion covers the earlier
 * ones): they leave the queue, and the held messages they release leave, each destination's in
 * emission order (a message waits behind an earlier one to its destination that is still held).
 */
export function complete<T>(x: Executor<T>, ticket: number): [Executor<T>, Outgoing<T>, readonly PendingPersist<T>[]] {
  if (ticket <= x.completed) return [x, [], []];
  let n = 0;
  while (n < x.pending.length && x.pending[n]!.ticket <= ticket) n++;
  const done = x.pending.slice(0, n);
  const [outbox, out] = release(x.outbox, ticket);
  return [{ pending: x.pending.slice(n), completed: ticket, outbox }, out, done];
}

function release<T>(outbox: readonly Held<T>[], completed: number): [readonly Held<T>[], Outgoing<T>] {
  if (outbox.length === 0) return [outbox, []];
  const keep: Held<T>[] = [];
  const out: Held<T>[] = [];
  const blocked = new Set<Sid>();
  for (const h of outbox) {
    if (blocked.has(h.to) || h.ticket > completed) {
      blocked.add(h.to);
      keep.push(h);
    } else out.push(h);
  }
  return [keep, out];
}

/** A connection to `peer` broke: what was held for it is lost with the stream (BCAST-10). */
export function dropHeld<T>(x: Executor<T>, peer: Sid): Executor<T> {
  return x.outbox.some((h) => h.to === peer) ? { ...x, outbox: x.outbox.filter((h) => h.to !== peer) } : x;
}
