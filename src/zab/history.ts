// Reading a history: txns sorted by strictly increasing zxid (INV-11).
import type { Txn } from './types.ts';
import { ZERO_ZXID, type Zxid } from './zxid.ts';

export function lastZxid<T>(h: readonly Txn<T>[]): Zxid {
  return h.length === 0 ? ZERO_ZXID : h[h.length - 1]!.zxid;
}

/** The number of entries with zxid <= z (the position just after z, were it present). */
export function countUpTo<T>(h: readonly Txn<T>[], z: Zxid): number {
  let lo = 0;
  let hi = h.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (h[mid]!.zxid <= z) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the entry whose zxid is exactly z, or -1. */
export function indexOfZxid<T>(h: readonly Txn<T>[], z: Zxid): number {
  const n = countUpTo(h, z);
  return n > 0 && h[n - 1]!.zxid === z ? n - 1 : -1;
}
