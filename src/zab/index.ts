export * from './types.ts';
export * from './zxid.ts';
export { step } from './step.ts';
export { boot, emptyDurable, applyPersist, applySnapshot, impliedDurable } from './persistence.ts';
export { isBetter, sameVote, initialVote, NO_VOTE } from './election.ts';
export { chooseSync } from './sync.ts';
export { connectedQuorum } from './broadcast.ts';
export { isQuorum, quorumSize, isVoter } from './quorum.ts';
export { lastZxid, countUpTo, indexOfZxid, deliveredCount, collapse } from './history.ts';
