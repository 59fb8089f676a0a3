// Building a step's result: a state and its effects, and two steps run one after the other.
import type { Internal, ServerEffect, ServerState, Stepped } from './types.ts';

export const done = (state: ServerState, ...effects: (ServerEffect | Internal)[]): Stepped => ({ state, effects });

/** Run `next` on a step's state; the effects of both, in order (no copy when `next` adds none). */
export function chain(a: Stepped, next: (s: ServerState) => Stepped): Stepped {
  const b = next(a.state);
  if (b.effects.length === 0) return b.state === a.state ? a : { state: b.state, effects: a.effects };
  return { state: b.state, effects: a.effects.length === 0 ? b.effects : [...a.effects, ...b.effects] };
}
