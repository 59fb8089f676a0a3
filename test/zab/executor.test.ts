// The one executor (src/zab/executor.ts) that the model's world, the shell's ZabNode and replay all
// use: PERSIST-2 (tickets complete in order, group commit) and PERSIST-3 (held messages).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { complete, dropHeld, IDLE, issue, nextBatch, type Executor, type Held } from '../../src/zab/executor.ts';
import type { Effect, PersistOp } from '../../src/zab/types.ts';

const ack = (zxid: number) => ({ type: 'ACK', zxid }) as const;
const append: PersistOp<string> = { kind: 'append', txns: [] };
const epoch: PersistOp<string> = { kind: 'currentEpoch', epoch: 1 };

function run(x: Executor<string>, effects: readonly Effect<string>[]): [Executor<string>, Held<string>[]] {
  const out: Held<string>[] = [];
  for (const e of effects) {
    const [next, o] = issue(x, e);
    x = next;
    out.push(...o);
  }
  return [x, out];
}

describe('PERSIST-3: held messages', () => {
  it('a sendAfterPersist waits for its ticket; a later plain send to that peer waits behind it, one to another peer does not', () => {
    const [x, out] = run(IDLE, [
      { type: 'persist', ticket: 1, op: append },
      { type: 'sendAfterPersist', ticket: 1, to: 2, msg: ack(1) },
      { type: 'send', to: 2, msg: ack(2) },
      { type: 'send', to: 3, msg: ack(3) },
    ]);
    expect(out.map((h) => [h.to, h.msg])).toEqual([[3, ack(3)]]);
    const [after, released, done] = complete(x, 1);
    expect(released.map((h) => h.msg)).toEqual([ack(1), ack(2)]);
    expect(done.map((p) => p.ticket)).toEqual([1]);
    expect(after).toEqual({ pending: [], completed: 1, outbox: [] });
  });

  it('a broken stream drops what was held for that peer only', () => {
    const [x] = run(IDLE, [
      { type: 'persist', ticket: 1, op: append },
      { type: 'sendAfterPersist', ticket: 1, to: 2, msg: ack(1) },
      { type: 'sendAfterPersist', ticket: 1, to: 3, msg: ack(1) },
    ]);
    const [, released] = complete(dropHeld(x, 2), 1);
    expect(released.map((h) => h.to)).toEqual([3]);
  });
});

describe('PERSIST-2: completion in ticket order, group commit', () => {
  it('a batch is the first pending persist, and after an append every append right behind it', () => {
    const [x] = run(IDLE, [
      { type: 'persist', ticket: 1, op: append },
      { type: 'persist', ticket: 2, op: append },
      { type: 'persist', ticket: 3, op: epoch },
      { type: 'persist', ticket: 4, op: append },
    ]);
    expect(nextBatch(x).map((p) => p.ticket)).toEqual([1, 2]);
    const [y] = complete(x, 2);
    expect(nextBatch(y).map((p) => p.ticket)).toEqual([3]);
    expect(complete(y, 1)[0]).toBe(y); // stale: changes nothing
  });

  // Random programs of issues, completions (the head or a group) and broken streams: every held
  // message leaves exactly once, never before its ticket is durable, and each peer's messages leave
  // in the order they were issued (less those dropped with a broken stream).
  const step = fc.oneof(
    fc.record({ k: fc.constant('send' as const), to: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ k: fc.constant('after' as const), to: fc.integer({ min: 1, max: 3 }), back: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ k: fc.constant('persist' as const), append: fc.boolean() }),
    fc.record({ k: fc.constant('complete' as const), group: fc.boolean() }),
    fc.record({ k: fc.constant('drop' as const), to: fc.integer({ min: 1, max: 3 }) }),
  );

  it('holds PERSIST-3 on random programs', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (program) => {
        let x: Executor<string> = IDLE;
        let ticket = 0;
        let n = 0;
        const issuedAt = new Map<number, { to: number; ticket: number }>();
        const left: number[] = [];
        const dropped = new Set<number>();
        const leave = (out: readonly Held<string>[]) => {
          for (const h of out) {
            const id = (h.msg as { zxid: number }).zxid;
            expect(issuedAt.get(id)!.ticket).toBeLessThanOrEqual(x.completed); // never early
            expect(left).not.toContain(id); // never twice
            left.push(id);
          }
        };
        for (const s of program) {
          if (s.k === 'persist') {
            ticket++;
            [x] = issue(x, { type: 'persist', ticket, op: s.append ? append : epoch });
          } else if (s.k === 'send' || s.k === 'after') {
            const t = s.k === 'send' ? 0 : Math.max(0, ticket - s.back);
            const e: Effect<string> = t === 0 ? { type: 'send', to: s.to, msg: ack(++n) } : { type: 'sendAfterPersist', ticket: t, to: s.to, msg: ack(++n) };
            issuedAt.set(n, { to: s.to, ticket: t });
            const [next, out] = issue(x, e);
            x = next;
            leave(out);
          } else if (s.k === 'complete') {
            const batch = s.group ? nextBatch(x) : x.pending.slice(0, 1);
            if (batch.length === 0) continue;
            const [next, out] = complete(x, batch[batch.length - 1]!.ticket);
            x = next;
            leave(out);
          } else {
            for (const h of x.outbox) if (h.to === s.to) dropped.add((h.msg as { zxid: number }).zxid);
            x = dropHeld(x, s.to);
          }
        }
        for (const to of [1, 2, 3]) {
          const order = left.filter((id) => issuedAt.get(id)!.to === to);
          expect(order).toEqual([...order].sort((a, b) => a - b)); // FIFO per peer
        }
        // what has not left is held or was dropped; nothing whose ticket is durable stays held
        // unless an earlier message to its peer is still held
        for (const id of issuedAt.keys()) expect(left.includes(id) || dropped.has(id) || x.outbox.some((h) => (h.msg as { zxid: number }).zxid === id)).toBe(true);
        for (const h of x.outbox) {
          const first = x.outbox.find((o) => o.to === h.to)!;
          expect(first.ticket).toBeGreaterThan(x.completed);
        }
      }),
      { numRuns: 300 },
    );
  });
});
