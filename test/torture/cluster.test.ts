// A real ensemble whose peer links all go through the fault proxy: zabkit's, and Apache
// ZooKeeper's when Debian's package is installed (.ci/run installs it). Cut the leader off: the
// others elect a new one and take a write; healed, the old leader follows and has that write.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apacheInstalled } from '../../conformance/apache.ts';
import { RawClient } from '../../conformance/raw-client.ts';
import { startCluster, type Cluster, type SystemName } from '../../conformance/torture/cluster.ts';

const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
let cluster: Cluster | undefined;
let dir: string | undefined;
afterEach(async () => {
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  cluster = dir = undefined;
});

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 60000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Create `path` through the server on `port`; the error code (0: created). */
async function create(port: number, path: string): Promise<number> {
  const c = await RawClient.session(port, { timeout: 6000 });
  try {
    c.send(1, { op: 'create', path, data: new TextEncoder().encode('x'), acl: OPEN, flags: 0 });
    return (await c.reply(15000))?.err ?? -4;
  } finally {
    c.close();
  }
}

async function exists(port: number, path: string): Promise<boolean> {
  const c = await RawClient.session(port, { timeout: 6000 });
  try {
    c.send(1, { op: 'sync', path: '/' });
    c.send(2, { op: 'exists', path, watch: false });
    await c.reply(15000);
    return (await c.reply(15000))?.err === 0;
  } finally {
    c.close();
  }
}

const systems: SystemName[] = apacheInstalled() ? ['zabkit', 'apache'] : ['zabkit'];

describe.each(systems)('%s through the fault proxy', (system) => {
  it('a leader cut off from both followers is replaced; healed, it follows and holds the write made without it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'zabkit-torture-'));
    cluster = await startCluster(system, dir, { tickTime: 500 });
    const old = await cluster.stable();
    expect(await create(old.clientPort, '/before')).toBe(0);
    const others = cluster.nodes.filter((n) => n !== old).map((n) => n.id);
    cluster.proxy.partition([old.id], others);
    const next = await until('a new leader among the others', async () => {
      for (const n of cluster!.nodes) if (n !== old && (await n.mode()) === 'leader') return n;
      return undefined;
    });
    expect(await until('a write without the old leader', async () => (await create(next.clientPort, '/during')) === 0)).toBe(true);
    cluster.proxy.heal();
    await until('the old leader to follow', async () => (await old.mode()) === 'follower');
    expect(await until('the write on the old leader', () => exists(old.clientPort, '/during'))).toBe(true);
    // The links really went through the proxy: the new leader's bytes reached the old one.
    expect(cluster.proxy.carried.get(`${next.id}>${old.id}`) ?? 0).toBeGreaterThan(0);
  });
});
