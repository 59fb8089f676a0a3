// How ZooKeeper's JVM writes numbers and orders sets, for the answers that copy its layouts:
// a double as Java's Double.toString, a long in hex as Long.toHexString (two's complement), and
// String.hashCode (whoami's order comes from a hash set of ids, src/tree/java-set-order.ts).

/** Java's Double.toString: `0.0`, `1.2571`, `1.0E7`, `NaN`; integers keep a `.0`. */
export function javaDouble(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(x);
    return s.includes('.') ? s : `${s}.0`;
  }
  // Scientific: one digit before the point, at least one after, exponent without '+'.
  const [mant, exp] = x.toExponential().split('e') as [string, string];
  return `${mant.includes('.') ? mant : `${mant}.0`}E${Number(exp)}`;
}

/** A latency average as ZooKeeper's AvgMinMaxCounter gives it: rounded half-up to 4 places. */
export const round4 = (x: number): number => Math.round(x * 10000) / 10000;

/** Long.toHexString: a negative long as its 64-bit two's complement. */
export function javaHex(n: bigint | number): string {
  return BigInt.asUintN(64, BigInt(n)).toString(16);
}

/** Java's String.hashCode over UTF-16 code units, as a signed 32-bit int. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}
