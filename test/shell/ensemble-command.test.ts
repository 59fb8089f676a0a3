// `zabkit ensemble` itself (what `npm start` runs, on other ports): it starts voters and an
// observer as child processes, prints their roles and the connection string, Apache's zkCli and
// kazoo use that string, and SIGINT stops every server cleanly.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { freeBasePort } from '../../conformance/launch.ts';
import { main } from '../../src/shell/cli.ts';
import { fourLetter, KAZOO_PYTHON, launch, peerMissing, removeDir, tempDir, ZKCLI } from './harness.ts';

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
      const rows = [...run.logs().matchAll(/server (\d): (\w+)\s+client 127\.0\.0\.1:(\d+)\s+quorum (\d+)\s+election (\d+)\s+admin (\d+)\s+pid (\d+)/g)];
      expect(rows.map((r) => r[2]).sort()).toEqual(['follower', 'follower', 'leader', 'observer']);
      expect(rows[3]![2]).toBe('observer');
      expect(rows[0]!.slice(3, 7)).toEqual([String(base), String(base + 100), String(base + 200), String(base + 300)]);

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

const squat = (port: number) => new Promise<Server>((resolve) => {
  const s = createServer();
  s.listen(port, '127.0.0.1', () => resolve(s));
});

it('zabkit ensemble refuses taken ports before starting anything: each named with what it is for; exit 1', async () => {
  const dir = tempDir();
  const base = await freeBasePort(3);
  const squatters = await Promise.all([squat(base + 201), squat(base + 300)]);
  try {
    const lines: string[] = [];
    expect(await main(['ensemble', '--size', '3', '--base-port', String(base), '--data-dir', join(dir, 'data')], (l) => lines.push(l))).toBe(1);
    expect(lines.slice(0, 3)).toEqual([
      'zabkit ensemble: 2 ports are already taken on 127.0.0.1; nothing started:',
      `  port ${base + 300}: server 1's AdminServer port`,
      `  port ${base + 201}: server 2's election port`,
    ]);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  } finally {
    for (const s of squatters) s.close();
    removeDir(dir);
  }
});

it('zabkit ensemble: a server that cannot start (its data directory is unusable) is named with the reason; the rest are stopped; exit 1', async () => {
  const dir = tempDir();
  const base = await freeBasePort(3);
  mkdirSync(join(dir, 'server-2', 'data'), { recursive: true });
  writeFileSync(join(dir, 'server-2', 'data', 'version-2'), 'not a directory');
  try {
    const run = launch(['ensemble', '--size', '3', '--base-port', String(base), '--data-dir', dir, '--tick-time', '200']);
    expect(await run.exited).toBe(1);
    // the server's own log lines may come before its error (stdout and stderr race)
    expect(run.logs()).toMatch(/server 2 did not start:\n(?:.*\n)*?.*cannot start: EEXIST/);
    expect(run.logs()).toMatch(/stopped\.\n/);
    expect(run.logs()).not.toMatch(/connection string/);
  } finally {
    removeDir(dir);
  }
});

it('zabkit ensemble --restart-crashed --reconfig: a killed server is restarted after 0.5 s and serves, killed again the delay is 1 s; zoo.cfg has reconfigEnabled and the AdminServer port', async () => {
  const dir = tempDir();
  const base = await freeBasePort(1);
  const run = launch(['ensemble', '--size', '1', '--base-port', String(base), '--data-dir', dir, '--tick-time', '200', '--restart-crashed', '--reconfig']);
  try {
    const first = Number((await run.waitFor(/server 1: standalone .* pid (\d+)/, undefined, 30000))[1]);
    process.kill(first, 'SIGKILL');
    const second = Number((await run.waitFor(/server 1 restarted, pid (\d+)/, undefined, 30000))[1]);
    expect(run.logs()).toContain('server 1 exited (SIGKILL)');
    expect(run.logs()).toContain('restarting it in 0.5 s (restart 1)');
    expect(await until(async () => (await fourLetter(base, 'ruok').catch(() => '')) === 'imok')).toBe(true);
    process.kill(second, 'SIGKILL');
    await run.waitFor(/restarting it in 1\.0 s \(restart 2\)/, undefined, 30000); // the delay doubled; SIGINT cancels that restart
    const cfg = readFileSync(join(dir, 'server-1', 'zoo.cfg'), 'utf8');
    expect(cfg).toContain('reconfigEnabled=true');
    expect(cfg).toContain(`admin.serverPort=${base + 300}`);
  } finally {
    run.proc.kill('SIGINT');
    expect(await run.exited).toBe(0);
    removeDir(dir);
  }
});

async function until(f: () => Promise<boolean>, ms = 20000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (await f()) return true;
  return false;
}
