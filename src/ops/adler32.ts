// Adler-32 (RFC 1950), the checksum Apache ZooKeeper seals its snapshots and log records with
// (java.util.zip.Adler32). Node's zlib computes it only inside a deflate stream, so here by hand:
// sums are reduced every 5552 bytes, the most that cannot overflow 32 bits.
const MOD = 65521;
const NMAX = 5552;

/** Continue `prev` (1 for a fresh checksum) over `bytes`. */
export function adler32(bytes: Uint8Array, prev = 1): number {
  let a = prev & 0xffff;
  let b = (prev >>> 16) & 0xffff;
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const end = Math.min(n, i + NMAX);
    for (; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}
