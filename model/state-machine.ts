// The model's replicated state machine: a server's applied state is a 31-bit hash chain of the
// txns it delivered (zxid and value), and a snapshot is that hash. Two servers that delivered
// the same txns in the same order hold the same state; a skipped, repeated or reordered txn, or
// a snapshot of another prefix, gives another (INV-15). Values are numbers in the checker and
// strings in scenario scripts: both hash.
import { indexOfZxid, type Effect, type Txn } from '../src/zab/index.ts';

/** The state of a server that has delivered nothing since its start. */
export const EMPTY_STATE = 0;

function valueKey(v: unknown): number {
  if (typeof v === 'number') return v;
  const s = String(v);
  let h = 7;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** The state after delivering `t`. */
export function applyTxn(state: number, t: Txn<unknown>): number {
  let h = Math.imul(state ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (t.zxid % 0x7fffffff), 0xc2b2ae35);
  h = Math.imul(h ^ valueKey(t.value), 0x27d4eb2f);
  return (h ^ (h >>> 15)) & 0x7fffffff;
}

/** The state after delivering `txns` in order from the empty state. */
export function stateOf(txns: readonly Txn<unknown>[], upTo = txns.length): number {
  let h = EMPTY_STATE;
  for (let i = 0; i < upTo; i++) h = applyTxn(h, txns[i]!);
  return h;
}

/** The committed state at zxid `z` (the empty state for 0); null if `z` was never committed. */
export function committedState(committed: readonly Txn<unknown>[], z: number): number {
  if (z === 0) return EMPTY_STATE;
  const k = indexOfZxid(committed, z);
  return k < 0 ? -1 : stateOf(committed, k + 1);
}

/**
 * The state after one effect of a step: a deliver applies its txn, an installSnapshot becomes its
 * snapshot. A real server's snapshot (a tree, in a replayed trace) stands for the committed state
 * at its zxid: its content is checked at run time by the data digest. Other effects change nothing.
 */
export function afterEffect(state: number, e: Effect<unknown>, committed: readonly Txn<unknown>[]): number {
  if (e.type === 'deliver') return applyTxn(state, e.txn);
  if (e.type === 'installSnapshot') return isModelState(e.base) ? e.base : committedState(committed, e.zxid);
  return state;
}

/** A snapshot of the model's state machine (a number), rather than of a real data tree. */
export function isModelState(v: unknown): v is number {
  return typeof v === 'number';
}
