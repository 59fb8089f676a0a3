// Read-only sessions, against Apache ZooKeeper 3.8 and zabkit: without a quorum, a server with
// readonlymode.enabled grants new sessions that read; once there is a quorum again the client
// gets a read-write session. (Apache grants read-only sessions only as local sessions:
// localSessionsEnabled=true; a session a voter granted is not continued read-only.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apacheInstalled } from '../../conformance/apache.ts';
import { startCluster, type Cluster, type SystemName } from '../../conformance/torture/cluster.ts';
import { connect, NotReadOnlyError, ZooKeeperClient } from '../../src/client/index.ts';
import { until } from './harness.ts';

describe.each(['zabkit', 'apache'] as SystemName[])('zabkit/client read-only sessions against %s', (system) => {
  const clients: ZooKeeperClient[] = [];
  let cluster: Cluster | undefined;
  const dir = mkdtempSync(join(tmpdir(), `zabkit-client-ro-${system}-`));
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60000);

  it.skipIf(system === 'apache' && !apacheInstalled())('reads without a quorum, cannot write, and gets a read-write session once there is one', async () => {
    cluster = await startCluster(system, dir, { size: 3, tickTime: 500, props: { 'readonlymode.enabled': 'true' }, cfg: ['localSessionsEnabled=true'] });
    const writer = await connect(cluster.connectString, { sessionTimeout: 4000 });
    clients.push(writer);
    await writer.create('/ro', 'before');
    const [survivor, ...down] = cluster.nodes;
    const direct = await connect(`127.0.0.1:${survivor!.clientPort}`, { sessionTimeout: 4000 });
    await direct.sync('/'); // the survivor has the write before the others go
    await direct.close();
    await writer.close();
    await Promise.all(down.map((n) => n!.kill()));
    await until('the survivor serves read-only', async () => (await survivor!.mode()) === 'read', 30000);
    const ro = new ZooKeeperClient(cluster.connectString, { sessionTimeout: 4000, readOnly: true, shuffle: false }); // the survivor first
    clients.push(ro);
    const states: string[] = [];
    ro.on('state', (s) => states.push(s));
    try {
      await until('read-only', () => ro.state === 'connectedReadOnly', 30000);
      expect((await ro.getData('/ro')).data.toString()).toBe('before');
      await expect(ro.setData('/ro', 'x')).rejects.toBeInstanceOf(NotReadOnlyError);
    } finally {
      await Promise.all(down.map((n) => n!.start()));
    }
    await cluster.stable();
    await until('read-write again', async () => ro.state === 'connected' && (await ro.setData('/ro', 'after', { timeout: 2000 }).then(() => true, () => false)), 60000);
    // Read-only first (perhaps more than once while the quorum forms), then read-write.
    expect(states[0]).toBe('connectedReadOnly');
    expect(states.at(-1)).toBe('connected');
    expect(states).not.toContain('expired');
    // The writer's session could not live through the time without a quorum; a new one reads.
    const reader = await connect(cluster.connectString, { sessionTimeout: 4000 });
    clients.push(reader);
    await reader.sync('/ro');
    expect((await reader.getData('/ro')).data.toString()).toBe('after');
  }, 150000);
});
