// The order ZooKeeper lists a connection's ids in (whoAmI): they live in a set backed by a Java
// ConcurrentHashMap, so they come out by hash bucket, not in the order they were added. This
// replays that map — Java's String.hashCode, the jute Id's hashCode, the map's spread and its
// table doubling (16 buckets, grown at 3/4 full) — so that zabkit answers in the same order
// (the ip id after a digest whose bucket is lower, e.g.). Equal ids are one entry, as in a set.
import type { Id } from './types.ts';

function stringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** The jute-generated Id.hashCode, then ConcurrentHashMap.spread. */
function spread(id: Id): number {
  const h = (Math.imul(37, (Math.imul(37, 17) + stringHash(id.scheme)) | 0) + stringHash(id.id)) | 0;
  return (h ^ (h >>> 16)) & 0x7fffffff;
}

/** `ids` in the order Java's ConcurrentHashMap-backed set of them iterates. */
export function javaSetOrder(ids: readonly Id[]): Id[] {
  let n = 16;
  let bins: { id: Id; h: number }[][] = Array.from({ length: n }, () => []);
  let count = 0;
  for (const id of ids) {
    const h = spread(id);
    const bin = bins[h & (n - 1)]!;
    if (bin.some((e) => e.id.scheme === id.scheme && e.id.id === id.id)) continue;
    bin.push({ id, h });
    if (++count < n - (n >>> 2)) continue;
    // Doubling splits each bin in two: the run that ends it keeps its order, the nodes before it are prepended one by one.
    const next: { id: Id; h: number }[][] = Array.from({ length: 2 * n }, () => []);
    bins.forEach((old, i) => {
      if (old.length === 0) return;
      let last = old.length - 1;
      while (last > 0 && (old[last - 1]!.h & n) === (old[old.length - 1]!.h & n)) last--;
      const low: { id: Id; h: number }[] = (old[last]!.h & n) === 0 ? old.slice(last) : [];
      const high: { id: Id; h: number }[] = (old[last]!.h & n) !== 0 ? old.slice(last) : [];
      for (const e of old.slice(0, last)) ((e.h & n) === 0 ? low : high).unshift(e);
      next[i] = low;
      next[i + n] = high;
    });
    bins = next;
    n *= 2;
  }
  return bins.flat().map((e) => e.id);
}
