// One seed, one run: everything a simulated run does (every server's log line, every client's
// request and answer, every fault, every check) is hashed into its fingerprint.
import { describe, expect, it } from 'vitest';
import { simulate } from '../../sim/run.ts';

describe('a seed gives exactly one run', () => {
  it('the same seed twice: the same fingerprint, faults and answers; another seed: another run', async () => {
    const a = await simulate({ seed: 4, ops: 80 });
    const b = await simulate({ seed: 4, ops: 80 });
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(b.faults).toEqual(a.faults);
    expect(b.ops).toEqual(a.ops);
    expect(b.simulatedMs).toBe(a.simulatedMs);
    const c = await simulate({ seed: 5, ops: 80 });
    expect(c.fingerprint).not.toBe(a.fingerprint);
  });

  it('a shorter budget is a prefix of the same run: the faults it injects are the first ones of the longer run', async () => {
    const long = await simulate({ seed: 9, ops: 120 });
    expect(long.injected).toBeGreaterThan(2);
    const short = await simulate({ seed: 9, ops: 120, maxFaults: 2 });
    expect(short.injected).toBeLessThanOrEqual(2);
    const injectedOnly = (fs: readonly string[]) => fs.filter((f) => !/restart|heal|thaw/.test(f));
    expect(injectedOnly(short.faults)).toEqual(injectedOnly(long.faults).slice(0, injectedOnly(short.faults).length));
  });
});
