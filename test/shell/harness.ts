// Real servers for the tests: `zabkit server` in a child process on a port of its choosing,
// a raw protocol client, and the peers (kazoo, zkCli) when the machine has them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
export { RawClient } from '../../conformance/raw-client.ts';
export { launch, startServer, type Launched, type RunningServer } from '../../conformance/launch.ts';
import { startServer, type RunningServer } from '../../conformance/launch.ts';

export function tempDir(prefix = 'zabkit-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** One server for a whole suite, in a fresh directory: started before it, stopped (exit 0 required) and removed after. */
export function suiteServer(flags: readonly string[] = []): { readonly server: RunningServer } {
  const box = {} as { server: RunningServer };
  let dir = '';
  beforeAll(async () => {
    dir = tempDir();
    box.server = await startServer(dir, flags);
  });
  afterAll(async () => {
    expect(await box.server.stop()).toBe(0);
    removeDir(dir);
  });
  return box;
}

/** Send a four-letter word; resolves with the whole answer once the server closes. */
export function fourLetter(port: number, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(word));
    let got = '';
    s.on('data', (d) => (got += d));
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

// ---------------------------------------------------------------- the peers

/** Debian's python3 with kazoo; `undefined` when this machine lacks it. */
export const KAZOO_PYTHON = ['/usr/bin/python3'].find(
  (py) => existsSync(py) && spawnSync(py, ['-c', 'import kazoo'], { stdio: 'ignore' }).status === 0,
);
export const ZKCLI = ['/usr/share/zookeeper/bin/zkCli.sh'].find((p) => existsSync(p));

/**
 * Tests that need a Debian peer run when it is installed (.ci/run installs it) and are skipped
 * with a reason otherwise; with ZABKIT_REQUIRE_PEERS=1 (as .ci/run sets) a missing peer fails.
 */
export function peerMissing(name: string, present: unknown): boolean {
  if (present) return false;
  if (process.env.ZABKIT_REQUIRE_PEERS === '1') throw new Error(`${name} is required (ZABKIT_REQUIRE_PEERS=1) but not installed; .ci/run installs it`);
  console.warn(`skipping ${name} tests: not installed (run .ci/run, or apt-get install python3-kazoo zookeeper)`);
  return true;
}
