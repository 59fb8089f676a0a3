// SERVER-15: the leader deletes empty containers and expired TTL nodes, as ZooKeeper's
// ContainerManager: a list every checkIntervalMs, deleteContainer for each, within a budget of
// maxPerMinute deletes in any minute.
import { expiredNodes } from '../tree/index.ts';
import { done } from './stepped.ts';
import type { Internal, Reaper, ServerState, Stepped } from './types.ts';

const MINUTE = 60_000;

/** SERVER-15: a new leader starts its interval anew. */
export function freshReaper(s: ServerState, now: number): Reaper {
  return { nextCheck: now + s.config.reaping.checkIntervalMs, queue: [], windowStart: now, deletedInWindow: 0 };
}

/** SERVER-15: at the leader's tick, list the candidates when due, and propose what the budget allows. */
export function reap(s: ServerState, now: number): Stepped {
  const tree = s.tree;
  if (s.role !== 'leader') return done(s);
  const cfg = s.config.reaping;
  let r = s.reaper;
  if (now >= r.nextCheck) r = { ...r, nextCheck: now + cfg.checkIntervalMs, queue: expiredNodes(tree, now, cfg.maxNeverUsedIntervalMs) };
  if (r.queue.length === 0) return done(r === s.reaper ? s : { ...s, reaper: r });
  // The budget's minute starts at its first delete.
  if (r.deletedInWindow === 0 || now - r.windowStart >= MINUTE) r = { ...r, windowStart: now, deletedInWindow: 0 };
  const n = Math.min(r.queue.length, cfg.maxPerMinute - r.deletedInWindow);
  const effects: Internal[] = r.queue.slice(0, n).map((path) => ({
    type: 'propose',
    ask: { session: 0n, auth: [], write: { op: 'deleteContainer', path }, via: s.config.sid },
  }));
  r = { ...r, queue: r.queue.slice(n), deletedInWindow: r.deletedInWindow + n };
  return { state: { ...s, reaper: r }, effects };
}
