// The independence the partial-order reduction (model/replica-por.ts) rests on, as properties of
// the server's reducer: at a learner, nothing but a delivery reads its tree — a connect, a request,
// a write, a closed connection and a tick do the same whatever tree it holds. A reducer that
// breaks this (the mutant validate-locally judges a reconnect by the learner's tree) makes the
// reduction unsound: such mutants are checked without --por.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REAPING, initialServer, stepServer, type ServerInput, type ServerState } from '../src/server/index.ts';
import { sessionPassword, type Tree } from '../src/tree/index.ts';
import { Harness } from './tree/harness.ts';

const TREE = { extendedTypes: true, enforceQuota: false, maxDataBytes: 0xfffff };
const config = (deviation?: 'validate-locally') => ({ sid: 1, tickMs: 100, minSessionTimeout: 200, maxSessionTimeout: 2000, reaping: DEFAULT_REAPING, tree: TREE, members: [], readOnlyMode: false, ...(deviation ? { deviation } : {}) });

function treeWith(sessions: readonly bigint[]): Tree {
  const h = new Harness(TREE);
  for (const s of sessions) h.session(s, 1000);
  return h.tree;
}

/** A learner of leader 2 whose committed tree is `tree`. */
function learner(tree: Tree, deviation?: 'validate-locally'): ServerState {
  let s = initialServer(config(deviation), 0);
  s = stepServer(s, { type: 'installed', tree, zxid: 7 }).state;
  return stepServer(s, { type: 'role', role: 'learner', leader: 2, now: 0, nextZxid: 0 }).state;
}

const SESSIONS = [11n, 12n, 13n];
const input = fc.oneof(
  fc.record({ conn: fc.integer({ min: 1, max: 3 }), session: fc.constantFrom(0n, ...SESSIONS), good: fc.boolean() }).map(({ conn, session, good }): ServerInput => ({
    type: 'connect', conn, auth: [], now: 5,
    ask: { sessionId: session, passwd: good ? sessionPassword(session) : new Uint8Array(16), timeOut: 1000, lastZxidSeen: 0n, readOnly: false },
  })),
  fc.integer({ min: 1, max: 3 }).map((conn): ServerInput => ({ type: 'request', conn, now: 6 })),
  fc.integer({ min: 1, max: 3 }).map((conn): ServerInput => ({ type: 'closed', conn })),
  fc.integer({ min: 1, max: 3 }).map((conn): ServerInput => ({ type: 'submit', conn, ref: 100 + conn, write: { op: 'delete', path: '/x', version: -1 }, auth: [], now: 7 })),
  fc.constant<ServerInput>({ type: 'tick', now: 300 }),
);

/** Run the inputs on two learners that differ only in their trees; compare everything but the tree. */
function sameWhateverTree(inputs: readonly ServerInput[], a: Tree, b: Tree, deviation?: 'validate-locally'): boolean {
  let x = learner(a, deviation);
  let y = learner(b, deviation);
  for (const i of inputs) {
    const rx = stepServer(x, i);
    const ry = stepServer(y, i);
    if (JSON.stringify(rx.effects, big) !== JSON.stringify(ry.effects, big)) return false;
    x = rx.state;
    y = ry.state;
  }
  return JSON.stringify({ ...x, tree: null, config: null }, big) === JSON.stringify({ ...y, tree: null, config: null }, big);
}
const big = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

describe('what the partial-order reduction assumes of the server reducer', () => {
  it('at a learner, connects, requests, writes, closes and ticks do the same whatever its tree holds', () => {
    fc.assert(
      fc.property(fc.array(input, { minLength: 1, maxLength: 12 }), fc.subarray(SESSIONS), fc.subarray(SESSIONS), (inputs, s1, s2) => sameWhateverTree(inputs, treeWith(s1), treeWith(s2))),
      { numRuns: 300 },
    );
  });

  it('validate-locally breaks it: a learner that judges a reconnect by its own tree (so --por does not apply to that mutant)', () => {
    const reconnect: ServerInput = { type: 'connect', conn: 1, auth: [], now: 5, ask: { sessionId: 11n, passwd: sessionPassword(11n), timeOut: 1000, lastZxidSeen: 0n, readOnly: false } };
    expect(sameWhateverTree([reconnect], treeWith([11n]), treeWith([]), 'validate-locally')).toBe(false);
    expect(sameWhateverTree([reconnect], treeWith([11n]), treeWith([]))).toBe(true);
  });
});
