// The two new fingerprint sets against a plain Set of the same fingerprints: the shared table
// (with a growth in between) and the disk-backed one (with many merges), for random fingerprints
// with repeats; and the frontier queue that spills to disk.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DiskFingerprintSet } from '../../model/disk-fingerprints.ts';
import { DiskFrontier } from '../../model/disk-frontier.ts';
import { hash64 } from '../../model/fingerprint.ts';
import { CONTROL_WORDS, SharedFingerprintSet } from '../../model/shared-fingerprints.ts';

// hash64 never yields a 0 half: both sets rely on it
const fps = fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 3 })), { maxLength: 3000 }).map((xs) => xs.map(([a, b]) => hash64([a, b])));

describe('fingerprint sets', () => {
  it('hash64 never yields a 0 half', () => {
    for (let i = 0; i < 20000; i++) {
      const [h, l] = hash64([i, i * 7]);
      expect(h !== 0 && l !== 0).toBe(true);
    }
  });

  it('the shared table answers as a Set does, across a growth', () => {
    fc.assert(
      fc.property(fps, (xs) => {
        let t = SharedFingerprintSet.create(1 << 9, new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4)));
        const model = new Set<string>();
        xs.forEach(([h, l], i) => {
          if (i === xs.length >> 1) t = t.grown(1 << 10);
          expect(t.add(h, l)).toBe(!model.has(`${h},${l}`));
          model.add(`${h},${l}`);
        });
        expect(t.size).toBe(model.size);
      }),
      { numRuns: 30 },
    );
  });

  it('the disk-backed set answers as a Set does, across many merges', () => {
    fc.assert(
      fc.property(fps, (xs) => {
        const d = new DiskFingerprintSet(0); // the smallest table: 1024 slots, a merge every 768
        try {
          const model = new Set<string>();
          for (const [h, l] of [...xs, ...xs.slice(0, 500)]) {
            expect(d.add(h, l)).toBe(!model.has(`${h},${l}`));
            model.add(`${h},${l}`);
          }
          expect(d.size).toBe(model.size);
        } finally {
          d.close();
        }
      }),
      { numRuns: 20 },
    );
  });
});

describe('the frontier on disk', () => {
  it('is a FIFO queue, whatever the interleaving of pushes and shifts', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 400 }), (ops) => {
        const q = new DiskFrontier<{ n: number }>(4, 8);
        const model: number[] = [];
        let n = 0;
        try {
          for (const push of ops) {
            if (push) {
              q.push({ n });
              model.push(n++);
            } else expect(q.shift()?.n).toBe(model.shift());
            expect(q.length).toBe(model.length);
          }
          while (model.length) expect(q.shift()?.n).toBe(model.shift());
          expect(q.shift()).toBeUndefined();
        } finally {
          q.close();
        }
      }),
      { numRuns: 50 },
    );
  });
});
