// `zabkit ensemble` itself (what `npm start` runs, on other ports): it starts voters and an
// observer as child processes, prints their roles and the connection string, Apache's zkCli and
// kazoo use that string, and SIGINT stops every server cleanly.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { freeBasePort } from '../../conformance/launch.ts';
import { KAZOO_PYTHON, launch, peerMissing, removeDir, tempDir, ZKCLI } from './harness.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it.skipIf(peerMissing('zkCli and kazoo', ZKCLI && KAZOO_PYTHON))(
  'zabkit ensemble --size 3 --observers 1: roles, a connection string zkCli and kazoo use, a clean stop on SIGINT',
  async () => {
    const dir = tempDir();
    const base = await freeBasePort(4);
    const run = launch(['ensemble', '--size', '3', '--observers', '1', '--base-port', String(base), '--data-dir', dir, '--tick-time', '200']);
    try {
      const cs = (await run.waitFor(/connection string: (\S+)/, undefined, 60000))[1]!;
      expect(cs).toBe([0, 1, 2, 3].map((k) => `127.0.0.1:${base + k}`).join(','));
      const rows = [...run.logs().matchAll(/server (\d): (\w+)\s+client 127\.0\.0\.1:(\d+)\s+quorum (\d+)\s+election (\d+)\s+pid (\d+)/g)];
      expect(rows.map((r) => r[2]).sort()).toEqual(['follower', 'follower', 'leader', 'observer']);
      expect(rows[3]![2]).toBe('observer');
      expect(rows[0]!.slice(3, 6)).toEqual([String(base), String(base + 100), String(base + 200)]);

      const cli = spawnSync(ZKCLI!, ['-server', cs], { input: 'create /from-cli hello\nget /from-cli\nquit\n', encoding: 'utf8', timeout: 60000, env: { ...process.env, ZOO_LOG4J_PROP: 'ERROR,CONSOLE' } });
      expect(cli.stderr).toContain('Created /from-cli'); // zkCli confirms on stderr, prints data on stdout
      expect(cli.stdout).toMatch(/\nhello\n/);
      const py = spawnSync(KAZOO_PYTHON!, ['-c', `
import sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1], timeout=10); zk.start(timeout=10)
zk.sync('/from-cli'); print(zk.get('/from-cli')[0].decode()); zk.set('/from-cli', b'kazoo'); zk.stop()`, cs], { encoding: 'utf8', timeout: 60000 });
      expect(py.stdout.trim(), py.stderr).toBe('hello');
    } finally {
      run.proc.kill('SIGINT');
      expect(await run.exited).toBe(0);
    }
    expect(run.logs()).toMatch(/stopping the ensemble…\nstopped\.\n/);
    const pids = [...run.logs().matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(4);
    expect(pids.filter(alive)).toEqual([]);
    removeDir(dir);
  },
);

it('zabkit ensemble: a server that cannot start (its election port is taken) is named with the reason; the rest are stopped; exit 1', async () => {
  const dir = tempDir();
  const base = await freeBasePort(3);
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(base + 201, '127.0.0.1', () => resolve()));
  try {
    const run = launch(['ensemble', '--size', '3', '--base-port', String(base), '--data-dir', dir, '--tick-time', '200']);
    expect(await run.exited).toBe(1);
    // the server's own log lines may come before its error (stdout and stderr race)
    expect(run.logs()).toMatch(/server 2 did not start:\n(?:.*\n)*?.*election port 127\.0\.0\.1:\d+: listen EADDRINUSE/);
    expect(run.logs()).toMatch(/stopped\.\n/);
    expect(run.logs()).not.toMatch(/connection string/);
  } finally {
    squatter.close();
    removeDir(dir);
  }
});
