// A seeded pseudo-random stream (SplitMix32): the only source of randomness in a simulated run.
// Each part of the world (network, disks, clients, faults) draws from its own stream, forked from
// the seed by name, so that drawing one more number in one part leaves the others' runs as they were.
export class Random {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** A stream of its own, for the part of the world called `name`. */
  fork(name: string): Random {
    let h = this.s ^ 0x9e3779b9;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
    return new Random(mix(h >>> 0));
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    this.s = (this.s + 0x9e3779b9) >>> 0;
    return mix(this.s);
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return this.next() / 0x1_0000_0000;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from an empty list');
    return xs[Math.floor(this.float() * xs.length)]!;
  }

  /** Of `options`, one chosen with probability proportional to its weight. */
  weighted<T>(options: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of options) total += w;
    let r = this.float() * total;
    for (const [x, w] of options) {
      if (r < w) return x;
      r -= w;
    }
    return options[options.length - 1]![0];
  }
}

function mix(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
