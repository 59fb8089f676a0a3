// Apache ZooKeeper 3.6+'s tree digest (DigestCalculator, version 2; ZOOKEEPER-3114): per znode a
// CRC-32 over the path's UTF-8 bytes, the data, then 60 bytes of the persisted stat (long czxid
// mzxid pzxid ctime mtime, int version cversion aversion, long ephemeralOwner); the tree's digest
// is the sum of these over its znodes as a Java long (wrapping). The root counts once, as "";
// nodes under /zookeeper/ count 0 (/zookeeper itself counts). zabkit's own digest (src/tree/
// digest.ts) is another function: this one checks an import against what Apache logged, and an
// export carries it so that Apache compares its tree with it on load.
import { crc32 } from 'node:zlib';
import type { StatPersisted } from './apache-snapshot.ts';

const SYSTEM = '/zookeeper/';

export function nodeDigest(path: string, data: Uint8Array | null, s: StatPersisted): bigint {
  if (path.startsWith(SYSTEM)) return 0n;
  const stat = Buffer.alloc(60);
  stat.writeBigInt64BE(s.czxid, 0);
  stat.writeBigInt64BE(s.mzxid, 8);
  stat.writeBigInt64BE(s.pzxid, 16);
  stat.writeBigInt64BE(s.ctime, 24);
  stat.writeBigInt64BE(s.mtime, 32);
  stat.writeInt32BE(s.version, 40);
  stat.writeInt32BE(s.cversion, 44);
  stat.writeInt32BE(s.aversion, 48);
  stat.writeBigInt64BE(s.ephemeralOwner, 52);
  let c = crc32(path === '/' ? '' : path);
  if (data) c = crc32(data, c);
  return BigInt(crc32(stat, c));
}

/** The digest of a whole tree given as (path, data, stat) triples. */
export function treeDigest(nodes: Iterable<{ readonly path: string; readonly data: Uint8Array | null; readonly stat: StatPersisted }>): bigint {
  let sum = 0n;
  for (const n of nodes) sum += nodeDigest(n.path, n.data, n.stat);
  return BigInt.asIntN(64, sum);
}
