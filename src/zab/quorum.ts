// Majority quorums over the voting members; observers never count (ELECT-14).
import type { Config, Sid } from './types.ts';

export function isVoter(cfg: Config, sid: Sid): boolean {
  return cfg.voters.includes(sid);
}

export function isObserver(cfg: Config, sid: Sid): boolean {
  return cfg.observers.includes(sid);
}

/** How many distinct voters a quorum needs: a strict majority. */
export function quorumSize(cfg: Config): number {
  if (cfg.deviation === 'quorum-of-half') return Math.max(1, Math.floor(cfg.voters.length / 2)); // mutant
  return Math.floor(cfg.voters.length / 2) + 1;
}

export function countVoters(cfg: Config, sids: Iterable<Sid>): number {
  const seen = new Set<Sid>();
  for (const s of sids) if (isVoter(cfg, s)) seen.add(s);
  return seen.size;
}

export function isQuorum(cfg: Config, sids: Iterable<Sid>): boolean {
  return countVoters(cfg, sids) >= quorumSize(cfg);
}

/** Every other voter: where a looking server sends its notifications (ELECT-2). */
export function otherVoters(cfg: Config): Sid[] {
  return cfg.voters.filter((v) => v !== cfg.sid);
}
