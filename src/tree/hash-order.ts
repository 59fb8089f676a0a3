// The order in which ZooKeeper 3.8 walks a session's ephemerals when the session closes, which
// clients see as the order of NodeDeleted events (SESSION-4). ZooKeeper keeps them in a Java
// HashSet and closes over a clone of it, so the order is that of a java.util.HashMap: buckets
// by the spread String.hashCode, a bucket's entries in insertion order.

/** java.lang.String.hashCode over UTF-16 code units, as a 32-bit int. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** HashMap.hash: the high half folded into the low, so small tables see every bit. */
const spread = (h: number): number => h ^ (h >>> 16);

/** HashMap's table size for a map grown entry by entry from HashSet's default 16 (load factor 0.75). */
function grownCapacity(n: number): number {
  let c = 16;
  while (n > c * 0.75) c *= 2;
  return c;
}

/** The table size HashMap.clone gives a copy of n entries (putMapEntries: tableSizeFor(n / 0.75 + 1)). */
function clonedCapacity(n: number): number {
  const t = Math.floor(n / 0.75 + 1);
  let c = 1;
  while (c < t) c *= 2;
  return c;
}

/**
 * The session's ephemerals in the order ZooKeeper's closeSession lists them: the clone's buckets,
 * ties in the original set's order (its buckets, then insertion: creation, i.e. czxid). The
 * original's table is taken as grown to the present count; a session that once held more than
 * 12 ephemerals and then dropped below may have a larger table in ZooKeeper.
 */
export function closeOrder(ephemerals: readonly { readonly path: string; readonly czxid: number | bigint }[]): string[] {
  const n = ephemerals.length;
  const original = grownCapacity(n) - 1;
  const clone = clonedCapacity(n) - 1;
  return ephemerals
    .map((e) => ({ ...e, h: spread(javaStringHash(e.path)) }))
    .sort((a, b) => (a.h & clone) - (b.h & clone) || (a.h & original) - (b.h & original) || (a.czxid < b.czxid ? -1 : a.czxid > b.czxid ? 1 : 0))
    .map((e) => e.path);
}
