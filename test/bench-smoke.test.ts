// The benchmark harness keeps working: a short run of `npm run bench:ensemble -- --vs apache
// --smoke` (one round, sub-second windows, a 20,000-znode restart) must produce every figure for both systems and both
// topologies. How big the figures are is the benchmark's business, not this test's (beyond being
// possible: CPU and memory within wide bounds). /proc reading is checked on processes of its own.
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apacheInstalled } from '../conformance/apache.ts';
import { main as benchClient } from '../bench/client.ts';
import { benchEnsemble } from '../bench/ensemble.ts';
import { assertRuntime, cpuMs, executableOf, openWindow, processTree, rssOf } from '../bench/proc-stats.ts';
import { svg } from '../bench/report.ts';
import { peerMissing } from './shell/harness.ts';

const WORKLOADS = ['setData', 'getData', 'create', 'mix', 'watches'];

const skip = peerMissing('Apache ZooKeeper (Debian zookeeper)', apacheInstalled());

describe.skipIf(skip)('bench:ensemble --smoke', () => {
  it('measures every workload, CPU, RSS, start, failover and restart for Apache and zabkit', async () => {
    const lines: string[] = [];
    const f = await benchEnsemble(['--vs', 'apache', '--smoke'], (s) => lines.push(s));
    // Figure → bounds beyond which it cannot be (MB; CPU ms per 1,000 ops: a whole core for a second per op is absurd).
    const memory = [1, 100_000] as const;
    for (const system of ['apache', 'zabkit']) {
      for (const topology of ['standalone', 'ensemble']) {
        const figures = new Map<string, readonly [number, number]>([
          ['start to first write (ms)', [1, 120_000]],
          ['RSS per server idle (MB)', memory],
          ['RSS per server under load, max (MB)', memory],
          ...WORKLOADS.flatMap((w) => [
            [`${w} ops/s`, [1, 1e7]],
            [`${w} p99 (ms)`, [0, 60_000]],
            [`${w} CPU ms per 1,000 ops`, [0.01, 1_000_000]],
          ] as const),
        ]);
        if (topology === 'ensemble') figures.set('leader failover (ms)', [1, 60_000]);
        else {
          figures.set('fill 20,000 znodes (ms)', [1, 600_000]).set('fill CPU ms per 1,000 znodes', [0.01, 1_000_000]).set('RSS with 20,000 znodes, filled (MB)', memory);
          figures.set('restart with 20,000 znodes (ms)', [1, 600_000]).set('restart with 20,000 znodes, CPU (ms)', [1, 600_000]).set('RSS with 20,000 znodes, restarted (MB)', memory);
        }
        for (const [fig, [lo, hi]] of figures) {
          const xs = f.get(`${system}|${topology}|${fig}`);
          expect(xs, `${system} ${topology} ${fig}`).toHaveLength(1);
          expect(xs![0]! > lo && xs![0]! < hi, `${system} ${topology} ${fig} = ${xs![0]}`).toBe(true);
        }
        expect(f.get(`${system}|${topology}|RSS per server under load, max (MB)`)![0]).toBeGreaterThanOrEqual(f.get(`${system}|${topology}|RSS per server idle (MB)`)![0]! * 0.5);
      }
    }
    const text = lines.join('\n');
    expect(text).toMatch(/\| setData ops\/s \| .* \| .* \| [\d.]+ \| (zabkit|apache) \|/);
    expect(text).toMatch(/\| create CPU ms per 1,000 ops \| [\d.]+ .* \| [\d.]+ .* \| [\d.]+ \| (zabkit|apache) \|/);
    expect(text).toMatch(/^\[1\/5, \d+ s\] round 1: apache standalone/m); // progress
    // The chart's CPU panel: one bar per system, topology and workload.
    const chart = svg(f, ['apache', 'zabkit'], ['standalone', 'ensemble'], WORKLOADS);
    const panel = chart.slice(chart.indexOf('CPU per 1,000 ops'), chart.indexOf('resident memory'));
    expect(panel.match(/<rect /g)).toHaveLength(2 * 2 * WORKLOADS.length);
    expect(chart).toContain('throughput (ops/s');
  }, 240_000);
});

describe('bench:ensemble flags', () => {
  it('refuses names it does not know, before starting anything', async () => {
    await expect(benchEnsemble(['--only', 'standalone,creat'], () => {})).rejects.toThrow(/--only: no creat/);
    await expect(benchEnsemble(['--systems', 'etcd'], () => {})).rejects.toThrow(/--systems: no system etcd/);
  });
});

describe.skipIf(process.platform !== 'linux')('bench/proc-stats', () => {
  it("reads a process's CPU, memory, children and runtime from /proc", async () => {
    const w = openWindow([[process.pid]]);
    const before = cpuMs([process.pid]);
    for (let spin = Date.now(); cpuMs([process.pid]) - before < 50 && Date.now() - spin < 10_000; ) Math.sqrt(spin);
    expect(cpuMs([process.pid]) - before).toBeGreaterThanOrEqual(50);
    const cost = w.close();
    expect(cost.cpuMs).toBeGreaterThanOrEqual(50);
    expect(cost.rssMax[0]).toBeGreaterThan(1e6); // sampled, in bytes
    expect(rssOf(process.pid)).toBeGreaterThan(1e6);
    assertRuntime(process.pid, [basename(process.execPath)]);
    // A shell: its pid is a wrapper, found in our tree, refused as a server's runtime.
    const sh = spawn('/bin/sh', ['-c', 'read line'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      await new Promise((r) => sh.once('spawn', r));
      for (let i = 0; i < 100 && !processTree(process.pid).includes(sh.pid!); i++) await new Promise((r) => setTimeout(r, 20));
      expect(processTree(process.pid)).toContain(sh.pid);
      for (let i = 0; i < 100 && !/sh$/.test(executableOf(sh.pid!)); i++) await new Promise((r) => setTimeout(r, 20));
      expect(() => assertRuntime(sh.pid!, ['java', 'node'])).toThrow(/not java or node/);
    } finally {
      sh.kill('SIGKILL');
    }
  });
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
