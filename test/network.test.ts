// The connection and timer rules of the checker's world (spec/network.md), one at a time, and
// invariants shown to fail on tampered worlds.
import { describe, expect, it } from 'vitest';
import { settle } from '../model/liveness.ts';
import { apply, createWorld, enabled, isEstablishedLeader, staleChan, unnoticedKey, type World } from '../model/world.ts';

/** Three voters, elected and in broadcast, nothing in flight. */
function converged(): { w: World<number>; leader: number } {
  let w = createWorld<number>({ voters: [1, 2, 3], syncDisk: true });
  for (const sid of [1, 2, 3]) w = apply(w, { type: 'restart', sid });
  w = settle(w).world;
  const leader = w.sids.find((s) => isEstablishedLeader(w.slots[s]!.server))!;
  return { w, leader };
}

describe('connections (NET)', () => {
  it('NET-1: one FIFO quorum channel per ordered pair: two proposals arrive in the order sent', () => {
    let { w, leader } = converged();
    const f = w.sids.find((s) => s !== leader)!;
    w = apply(w, { type: 'propose', sid: leader, value: 7 });
    w = apply(w, { type: 'propose', sid: leader, value: 8 });
    const q = w.channels[`${leader}>${f}`]!;
    expect(q.map((m) => (m.type === 'PROPOSAL' ? m.txn.value : null))).toEqual([7, 8]);
  });

  it('NET-2, NET-3: a cut keeps what was in flight readable; each end notices on its own, and what it sends before that is lost', () => {
    let { w, leader } = converged();
    const f = w.sids.find((s) => s !== leader)!;
    w = apply(w, { type: 'propose', sid: leader, value: 7 });
    w = apply(w, { type: 'cut', a: leader, b: f });
    expect(w.channels[`${leader}>${f}`]).toEqual([]);
    expect(w.channels[staleChan(leader, f)]!.map((m) => m.type)).toEqual(['PROPOSAL']);
    expect(w.unnoticed).toEqual([unnoticedKey(f, leader), unnoticedKey(leader, f)].sort());
    // The leader has not noticed: its next proposal to f is written to a dead connection.
    w = apply(w, { type: 'propose', sid: leader, value: 8 });
    expect(w.channels[`${leader}>${f}`]).toEqual([]);
    // f reads the old connection's buffered PROPOSAL, then notices on its own.
    w = apply(w, { type: 'deliver', from: leader, to: f, stale: true });
    expect(w.slots[f]!.server!.history.map((t) => t.value)).toContain(7);
    w = apply(w, { type: 'notice', sid: f, peer: leader });
    expect(w.unnoticed).toEqual([unnoticedKey(leader, f)]);
    expect(w.slots[f]!.server!.phase).toBe('looking');
  });

  it('NET-2: a reset (drop) loses what was in flight', () => {
    let { w, leader } = converged();
    const f = w.sids.find((s) => s !== leader)!;
    w = apply(w, { type: 'propose', sid: leader, value: 7 });
    w = apply(w, { type: 'cut', a: leader, b: f, lose: true });
    expect(w.channels[`${leader}>${f}`]).toEqual([]);
    expect(w.channels[staleChan(leader, f)]).toEqual([]);
  });

  it('NET-4: the first message of a newer connection implies the old one\'s notice and discards its unread input', () => {
    let { w, leader } = converged();
    const f = w.sids.find((s) => s !== leader)!;
    w = apply(w, { type: 'propose', sid: leader, value: 7 });
    w = apply(w, { type: 'cut', a: leader, b: f });
    w = apply(w, { type: 'notice', sid: leader, peer: f }); // the leader drops f, and goes on with the other voter
    // f hears nothing until its own notice; then it rejoins on a new connection.
    w = apply(w, { type: 'notice', sid: f, peer: leader });
    w = settle(w).world;
    expect(w.channels[staleChan(leader, f)]).toEqual([]);
    expect(w.unnoticed).toEqual([]);
    expect(isEstablishedLeader(w.slots[leader]!.server)).toBe(true);
  });

  it('NET-5: a timer fires only when armed, as an input of its own', () => {
    const { w, leader } = converged();
    const timers = enabled(w).filter((a) => a.type === 'timeout');
    expect(timers.length).toBeGreaterThan(0);
    for (const t of timers) expect(w.slots[(t as { sid: number }).sid]!.timers).toContain((t as { timer: string }).timer);
    // A timer that is not armed is no action: the world is unchanged.
    const unarmed = (['notify', 'finalize', 'init', 'sync', 'ping'] as const).find((t) => !w.slots[leader]!.timers.includes(t))!;
    expect(apply(w, { type: 'timeout', sid: leader, timer: unarmed })).toBe(w);
  });
});

describe('invariants that can fail (spec/invariants.md)', () => {
  /** A converged world after two committed writes, everything delivered everywhere. */
  function written(): { w: World<number>; leader: number } {
    let { w, leader } = converged();
    w = apply(w, { type: 'propose', sid: leader, value: 1 });
    w = apply(w, { type: 'propose', sid: leader, value: 2 });
    w = settle(w).world;
    return { w, leader };
  }
  const withServer = (w: World<number>, sid: number, patch: object): World<number> => ({ ...w, slots: { ...w.slots, [sid]: { ...w.slots[sid]!, server: { ...w.slots[sid]!.server!, ...patch } as never } } });

  it('the real reducers keep every invariant; INV-4 and INV-5 see a history delivered out of order, INV-12 a leader that lost track of a proposal', async () => {
    const { checkInvariants } = await import('../model/invariants.ts');
    const { w, leader } = written();
    expect(checkInvariants(w)).toEqual([]);
    const f = w.sids.find((s) => s !== leader)!;
    const h = w.slots[f]!.server!.history;
    expect(h.length).toBe(2);
    // f claims to have delivered its two txns the other way round.
    const swapped = withServer(w, f, { history: [h[1], h[0]], deliveredZxid: h[0]!.zxid });
    expect(checkInvariants(swapped).map((v) => v.id)).toEqual(expect.arrayContaining(['INV-4', 'INV-5']));
    // The leader proposes a third txn and forgets its bookkeeping of it.
    const proposed = apply(w, { type: 'propose', sid: leader, value: 3 });
    const forgot = withServer(proposed, leader, { proposals: [] });
    expect(checkInvariants(forgot).map((v) => v.id)).toContain('INV-12');
  });
});
