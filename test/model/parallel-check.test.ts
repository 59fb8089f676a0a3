// The parallel search (model/parallel-check.ts) against the one-worker search: the same distinct
// states, transitions, depth, sometimes-properties and verdicts; a counterexample of the shortest
// length that replays to its violation; and the fingerprint set that spills to disk.
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../model/check-cli.ts';
import { check, DEFAULT_BOUNDS, initialNode, next, type Bounds } from '../../model/checker.ts';
import { checkInvariants } from '../../model/invariants.ts';
import { checkParallel } from '../../model/parallel-check.ts';

const small = (b: Partial<Bounds>): Bounds => ({ ...DEFAULT_BOUNDS, txns: 0, crashes: 0, ...b });
const counts = (s: ReturnType<typeof check>) => ({ distinct: s.distinct, transitions: s.transitions, maxDepth: s.maxDepth, exhausted: s.exhausted, sometimes: s.sometimes });

describe('parallel search', () => {
  it.each([
    [{ servers: 2, txns: 2, crashes: 1 }, 2],
    [{ servers: 2, txns: 1, crashes: 1, asyncDisk: true, twoChannels: true }, 3],
  ] as const)('counts %o alike on %i workers', (b, workers) => {
    const one = check({ bounds: small(b) });
    const many = checkParallel({ bounds: small(b), workers });
    expect(one.exhausted).toBe(true);
    expect(counts(many)).toEqual(counts(one));
    expect(many.violation).toBeNull();
  }, 20_000);

  it('stops at the same state as the one-worker search when --max-states ends a level', () => {
    const bounds = small({ servers: 2, txns: 2, crashes: 1 });
    const one = check({ bounds, maxStates: 500, stopAtLevelEnd: true });
    const many = checkParallel({ bounds, maxStates: 500, workers: 2 });
    expect(one.exhausted).toBe(false);
    expect(one.distinct).toBeGreaterThan(500); // the rest of the level that reached it
    expect(counts(many)).toEqual(counts(one));
    // without stopAtLevelEnd the one-worker search stops at once, as it always has
    expect(check({ bounds, maxStates: 500 }).distinct).toBe(500);
  }, 20_000);

  it('finds a shortest counterexample, which replays to the violation', () => {
    const bounds = small({ servers: 3, txns: 1 });
    const one = check({ bounds, deviation: 'quorum-of-half' });
    const many = checkParallel({ bounds, deviation: 'quorum-of-half', workers: 2 });
    expect(many.violation?.id).toBe(one.violation?.id);
    expect(many.violation!.path.length).toBe(one.violation!.path.length);
    let node = initialNode(bounds, 'quorum-of-half');
    for (const a of many.violation!.path) node = next(node, a);
    expect(checkInvariants(node.world).map((v) => v.id)).toContain(many.violation!.id);
  }, 20_000);

  it('zabkit check --workers 2 prints the one-worker counts', () => {
    const lines: string[] = [];
    expect(runCheck(['--servers', '2', '--txns', '1', '--crashes', '1', '--workers', '2'], (l) => lines.push(l))).toBe(0);
    expect(lines).toContain('exhausted: 543 distinct states, 835 transitions, max depth 29');
    expect(runCheck(['--workers', '2', '--dfs'], (l) => lines.push(l))).toBe(2);
  }, 20_000);
});

describe('fingerprints spilled to disk', () => {
  it('exhaust a configuration in a table far smaller than its states, with the same counts', () => {
    const bounds = small({ servers: 2, txns: 2, crashes: 1, asyncDisk: true });
    const one = check({ bounds });
    const spilled = check({ bounds, fingerprintMemory: 8 * 1024 }); // 1024 slots, a merge every 768 states of 2802
    expect(counts(spilled)).toEqual(counts(one));
    expect(spilled.disk!.flushes).toBe(3);
    expect(spilled.disk!.onDisk).toBe(3 * 769);
    expect(spilled.disk!.diskReads).toBeGreaterThan(0);
  });

  it('the frontier on disk keeps the search order: the same counts, and the same stop at --max-states', () => {
    const bounds = small({ servers: 2, txns: 2, crashes: 1 });
    const one = check({ bounds });
    expect(counts(check({ bounds, frontierMemory: 50 }))).toEqual(counts(one));
    const cut = check({ bounds, maxStates: 500 });
    const cutOnDisk = check({ bounds, maxStates: 500, frontierMemory: 50 });
    expect(counts(cutOnDisk)).toEqual(counts(cut));
  });

  it('zabkit check --fp-memory reports what went to disk', () => {
    const lines: string[] = [];
    expect(runCheck(['--servers', '2', '--txns', '1', '--crashes', '1', '--fp-memory', '0', '--frontier-memory', '20'], (l) => lines.push(l))).toBe(0);
    expect(lines).toContain('exhausted: 543 distinct states, 835 transitions, max depth 29');
    expect(lines.some((l) => l.startsWith('fingerprints on disk: '))).toBe(true);
  });
});
