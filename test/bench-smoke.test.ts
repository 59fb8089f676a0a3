// The benchmark harness keeps working: a short run of `npm run bench:ensemble -- --vs apache
// --smoke` (one round, sub-second windows, a 20,000-znode restart) must produce every figure for both systems and both
// topologies. How big the figures are is the benchmark's business, not this test's.
import { describe, expect, it } from 'vitest';
import { apacheInstalled } from '../conformance/apache.ts';
import { main as benchClient } from '../bench/client.ts';
import { benchEnsemble } from '../bench/ensemble.ts';
import { peerMissing } from './shell/harness.ts';

const skip = peerMissing('Apache ZooKeeper (Debian zookeeper)', apacheInstalled());

describe.skipIf(skip)('bench:ensemble --smoke', () => {
  it('measures every workload, RSS, start, failover and restart for Apache and zabkit', async () => {
    const lines: string[] = [];
    const f = await benchEnsemble(['--vs', 'apache', '--smoke'], (s) => lines.push(s));
    for (const system of ['apache', 'zabkit']) {
      for (const topology of ['standalone', 'ensemble']) {
        const figures = ['start to first write (ms)', 'RSS per server (MB)', ...['setData', 'getData', 'create', 'mix', 'watches'].flatMap((w) => [`${w} ops/s`, `${w} p99 (ms)`])];
        if (topology === 'ensemble') figures.push('leader failover (ms)');
        else figures.push('fill 20,000 znodes (ms)', 'restart with 20,000 znodes (ms)');
        for (const fig of figures) {
          const xs = f.get(`${system}|${topology}|${fig}`);
          expect(xs, `${system} ${topology} ${fig}`).toHaveLength(1);
          expect(Number.isFinite(xs![0]) && xs![0]! > 0, `${system} ${topology} ${fig} = ${xs![0]}`).toBe(true);
        }
      }
    }
    expect(lines.join('\n')).toMatch(/\| setData ops\/s \| .* \| .* \| [\d.]+ \| (zabkit|apache) \|/);
  }, 240_000);
});

describe('bench:client --smoke', () => {
  it('measures both client libraries on every workload against zabkit', async () => {
    const { figures, table } = await benchClient(['--smoke']);
    for (const w of ['getData', 'setData', 'create']) {
      for (const lib of ['zabkit', 'node-zookeeper-client']) {
        const f = figures.get(`zabkit|${w}|${lib}`);
        expect(f && f.opsPerSec > 0 && f.p99 > 0, `${w} ${lib}: ${JSON.stringify(f)}`).toBe(true);
      }
    }
    expect(table.join('\n')).toMatch(/\| zabkit \| getData \| \d+ \| \d+ \| \*\*[\d.]+×\*\* \|/);
  }, 120_000);
});
