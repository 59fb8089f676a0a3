// The AdminServer against Apache ZooKeeper 3.8's (Jetty) live: the command list, every command
// and alias answered in the same JSON shape (keys, nesting, Java value kinds), an unknown command,
// a path outside the command URL; and, in process, a port already taken (a warning, the server
// goes on) and a stop that closes the port.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/shell/admin-commands.ts';
import { AdminServer } from '../../src/shell/admin-server.ts';
import type { ServerView } from '../../src/shell/four-letter.ts';
import type { Logger } from '../../src/shell/logger.ts';
import { jsonShape, noApache, suitePair, type Side } from './observability-harness.ts';

const pair = suitePair({ admin: true });

async function get(s: Side, path: string): Promise<{ status: number; type: string | null; body: string }> {
  const r = await fetch(`http://127.0.0.1:${s.adminPort}${path}`);
  return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
}

/** Apache 3.8's commands and their aliases (Commands.java, branch-3.8). */
const COMMANDS: Record<string, readonly string[]> = {
  configuration: ['conf', 'config'],
  connection_stat_reset: ['crst'],
  connections: ['cons'],
  dirs: [],
  dump: [],
  environment: ['env', 'envi'],
  get_trace_mask: ['gtmk'],
  hash: [],
  initial_configuration: ['icfg'],
  is_read_only: ['isro'],
  last_snapshot: ['lsnp'],
  leader: ['lead'],
  monitor: ['mntr'],
  observer_connection_stat_reset: ['orst'],
  observers: ['obsr'],
  ruok: [],
  server_stats: ['srvr'],
  set_trace_mask: ['stmk'],
  stat_reset: ['srst'],
  stats: ['stat'],
  system_properties: ['sysp'],
  voting_view: [],
  watch_summary: ['wchs'],
  watches: ['wchc'],
  watches_by_path: ['wchp'],
  zabstate: [],
};
/** Answers whose keys are the JVM's (environment, system properties) or a whole metrics dump: compared below on their own. */
const OWN_KEYS = new Set(['environment', 'system_properties', 'monitor']);

describe.skipIf(noApache)('AdminServer, beside Apache ZooKeeper 3.8', () => {
  it('lists the commands, a link each, at the command URL', async () => {
    const [a, z] = await Promise.all([get(pair.apache, '/commands'), get(pair.zabkit, '/commands')]);
    expect(z).toEqual(a);
    expect([...z.body.matchAll(/>(\w+)</g)].map((m) => m[1])).toEqual(Object.keys(COMMANDS));
    expect((await get(pair.zabkit, '/commands/')).body).toBe(a.body);
  });

  it('answers every command and alias in the same shape', async () => {
    for (const [primary, aliases] of Object.entries(COMMANDS)) {
      for (const name of [primary, ...aliases]) {
        const [a, z] = await Promise.all([get(pair.apache, `/commands/${name}`), get(pair.zabkit, `/commands/${name}`)]);
        expect([name, z.status, z.type]).toEqual([name, a.status, a.type]);
        const [as, zs] = [JSON.parse(a.body) as Record<string, unknown>, JSON.parse(z.body) as Record<string, unknown>];
        expect([name, zs.command, zs.error]).toEqual([name, as.command, as.error]);
        if (!OWN_KEYS.has(primary)) expect([name, jsonShape(z.body)]).toEqual([name, jsonShape(a.body)]);
      }
    }
  });

  it('monitor: every key of Apache, the same kinds; environment and system properties: the keys a process has', async () => {
    const [a, z] = await Promise.all([get(pair.apache, '/commands/monitor'), get(pair.zabkit, '/commands/monitor')]);
    const [as, zs] = [jsonShape(a.body) as Record<string, string>, jsonShape(z.body) as Record<string, string>];
    expect(Object.keys(as).length).toBeGreaterThan(400);
    expect(Object.entries(as).filter(([k, kind]) => zs[k] !== kind).map(([k, kind]) => `${k}: ${kind} (zabkit: ${zs[k]})`)).toEqual([]);
    const env = JSON.parse((await get(pair.zabkit, '/commands/environment')).body) as Record<string, unknown>;
    const apacheEnv = JSON.parse((await get(pair.apache, '/commands/environment')).body) as Record<string, unknown>;
    const common = ['zookeeper.version', 'host.name', 'os.name', 'os.arch', 'os.version', 'user.name', 'user.home', 'user.dir', 'os.memory.free', 'os.memory.total'];
    for (const k of common) expect([k, typeof env[k]]).toEqual([k, typeof apacheEnv[k]]);
    const sysp = Object.keys(JSON.parse((await get(pair.zabkit, '/commands/system_properties')).body) as object).filter((k) => k !== 'command' && k !== 'error');
    expect(sysp).toEqual([...sysp].sort());
    expect(sysp).toEqual(expect.arrayContaining(['file.separator', 'line.separator', 'os.name', 'path.separator', 'user.dir']));
  });

  it('an unknown command is named in "error", with status 200; a path outside the command URL is 404', async () => {
    const [a, z] = await Promise.all([get(pair.apache, '/commands/nosuch'), get(pair.zabkit, '/commands/nosuch')]);
    expect(z).toEqual(a);
    expect(JSON.parse(z.body)).toEqual({ command: 'nosuch', error: 'Unknown command: nosuch' });
    const [a2, z2] = await Promise.all([get(pair.apache, '/'), get(pair.zabkit, '/')]);
    expect([z2.status, z2.type]).toEqual([a2.status, a2.type]);
  });

  it('set_trace_mask takes its argument from the query, as Apache', async () => {
    for (const q of ['?traceMask=4', '?traceMask=abc', '?traceMask=306']) {
      const [a, z] = await Promise.all([get(pair.apache, `/commands/stmk${q}`), get(pair.zabkit, `/commands/stmk${q}`)]);
      expect([q, z.body]).toEqual([q, a.body]);
    }
  });

  it('the figures agree with the four-letter words (one source)', async () => {
    const stats = JSON.parse((await get(pair.zabkit, '/commands/srvr')).body) as { node_count: number; server_stats: { server_state: string } };
    const apacheStats = JSON.parse((await get(pair.apache, '/commands/srvr')).body) as typeof stats;
    expect(stats.node_count).toBe(apacheStats.node_count);
    expect(stats.server_stats.server_state).toBe('standalone');
    const watches = JSON.parse((await get(pair.zabkit, '/commands/watch_summary')).body) as Record<string, number>;
    expect(watches).toEqual(JSON.parse((await get(pair.apache, '/commands/watch_summary')).body));
  });
});

describe('AdminServer binding', () => {
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, warn: (msg) => void warnings.push(msg), error() {} };
  const config = (port: number) => ({ enabled: true, address: '127.0.0.1', port, commandUrl: '/commands', idleTimeoutMs: 30000 });

  it('a port already taken is a warning, and the server goes on without it', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    const admin = new AdminServer({} as ServerView, config(port), logger);
    expect(await admin.start()).toBeNull();
    expect(warnings).toEqual(['AdminServer did not start; going on without it']);
    await admin.stop();
    await new Promise<void>((r) => taken.close(() => r()));
  });

  it('stop closes the port', async () => {
    const admin = new AdminServer({} as ServerView, config(0), logger);
    const port = await admin.start();
    expect(port).toBeGreaterThan(0);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    await admin.stop();
    await expect(fetch(`http://127.0.0.1:${port}/other`)).rejects.toThrow();
  });
});

describe('a server that does not serve', () => {
  it('answers the commands that need one with an error naming it, the others as usual (CommandBase.serverRequired)', () => {
    const view = { serving: false, traceMask: 306n } as ServerView;
    expect(Object.fromEntries(runCommand(view, 'srvr'))).toEqual({ command: 'srvr', error: 'This ZooKeeper instance is not currently serving requests' });
    expect(Object.fromEntries(runCommand(view, 'gtmk'))).toEqual({ tracemask: 306n, command: 'get_trace_mask', error: null });
  });
});
