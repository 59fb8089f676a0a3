// What the client and recipe suites share: polling for a condition, and a cluster (either system)
// for a describe block whose clients and servers are all closed after it.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startCluster, type Cluster, type ClusterOptions, type SystemName } from '../../conformance/torture/cluster.ts';
import type { ZooKeeperClient } from '../../src/client/index.ts';

export { until } from '../shell/ensemble-harness.ts';

/**
 * Whether every thread of process `pid` is stopped (SIGSTOP lands on each thread when it next
 * enters the kernel: a JVM thread on the other core may still answer a request meanwhile).
 */
export function allStopped(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).every((t) => /^\d+ \(.*\) [tT]/.test(readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8')));
  } catch {
    return false;
  }
}

export interface SuiteCluster {
  readonly cluster: Cluster;
  readonly dir: string;
  /** Clients the tests opened: closed after the block. */
  readonly clients: ZooKeeperClient[];
}

/** Starts a cluster before the block (its options may use the block's directory) and stops it after. */
export function suiteCluster(system: SystemName, name: string, options: (dir: string) => ClusterOptions): SuiteCluster {
  const box = { clients: [] as ZooKeeperClient[] } as { cluster: Cluster; dir: string; clients: ZooKeeperClient[] };
  beforeAll(async () => {
    box.dir = mkdtempSync(join(tmpdir(), `zabkit-${name}-${system}-`));
    box.cluster = await startCluster(system, box.dir, options(box.dir));
  }, 90000);
  afterAll(async () => {
    await Promise.all(box.clients.map((c) => c.close()));
    await box.cluster?.stop();
    if (box.dir) rmSync(box.dir, { recursive: true, force: true });
  }, 60000);
  return box;
}
