// A zxid is ZooKeeper's 64-bit (epoch << 32 | counter). We keep it as a JS number so the
// reducers and the checker stay allocation-free; that is exact while epoch < 2^21, which
// the shell enforces at its boundary (a 64-bit zxid from the wire is converted there).
export type Zxid = number;

const TWO_32 = 0x1_0000_0000;
export const MAX_EPOCH = 0x1f_ffff; // 2^21 - 1: epoch * 2^32 + counter stays a safe integer

export const ZERO_ZXID: Zxid = 0;

export function makeZxid(epoch: number, counter: number): Zxid {
  return epoch * TWO_32 + counter;
}

export function epochOf(z: Zxid): number {
  return Math.floor(z / TWO_32);
}

export function counterOf(z: Zxid): number {
  return z % TWO_32;
}

/**
 * Whether the txn at `next` may follow the one at `prev` in a history (0: nothing before it, no
 * snapshot): each epoch's txns follow one another from counter 1 (INV-14, PERSIST-11). Storage
 * recovery refuses a log that breaks it; the checker requires it of every disk.
 */
export function continues(prev: Zxid, next: Zxid): boolean {
  if (prev === ZERO_ZXID) return counterOf(next) === 1;
  return epochOf(next) === epochOf(prev) ? next === prev + 1 : epochOf(next) > epochOf(prev) && counterOf(next) === 1;
}

/** `0x<epoch>.<counter>` in hex, as ZooKeeper logs zxids split in halves (e.g. `1.3`). */
export function formatZxid(z: Zxid): string {
  return `${epochOf(z).toString(16)}.${counterOf(z).toString(16)}`;
}
