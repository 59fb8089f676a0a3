// Reading a history: txns sorted by strictly increasing zxid (INV-11).
import type { Common, Txn } from './types.ts';
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

/** BCAST-5: how many entries of the history have been delivered (those up to deliveredZxid). */
export function deliveredCount<T>(s: Pick<Common<T>, 'history' | 'deliveredZxid'>): number {
  return s.deliveredZxid === ZERO_ZXID ? 0 : countUpTo(s.history, s.deliveredZxid);
}

/**
 * PERSIST-9: the history with its entries up to `zxid` held as one snapshot entry; snapIndex shifts
 * with it. Used for a server's history and for what its disk holds (PERSIST-11) alike.
 */
export function collapse<T>(h: readonly Txn<T>[], snapIndex: number, zxid: Zxid, base: T): { history: readonly Txn<T>[]; snapIndex: number } {
  const n = countUpTo(h, zxid);
  const entry: Txn<T> = { zxid, value: base, snapshot: true };
  return { history: [entry, ...h.slice(n)], snapIndex: Math.max(1, snapIndex - n + 1) };
}
