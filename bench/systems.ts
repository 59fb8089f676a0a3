// The systems a benchmark compares, started the same way: Apache ZooKeeper 3.8 (Debian's
// package) and zabkit, each standalone or as a 3-server ensemble on 127.0.0.1, with the same
// tickTime, fsync on, data under one temporary directory (the same disk). zabkit runs as users
// run it, `node bin/zabkit.mjs` (conformance/launch.ts); each member's pid is its runtime's own
// (java, node), checked, so that CPU and memory read from /proc are the server's.
import { basename, join } from 'node:path';
import { startApache, startApacheEnsemble, type ApacheServer } from '../conformance/apache.ts';
import { launch, startServer } from '../conformance/launch.ts';
import { askWord } from '../src/shell/ensemble.ts';
import { assertRuntime, executableOf, processTree } from './proc-stats.ts';

export type SystemName = 'apache' | 'zabkit';
export type Topology = 'standalone' | 'ensemble';

export interface Member {
  readonly id: number;
  readonly port: number;
  readonly pid: number;
}

export interface Running {
  readonly members: readonly Member[];
  /** Processes of the system that serve no client: zabkit's `ensemble` supervisor (not counted as a server). */
  readonly helpers?: readonly number[];
  /**
   * zabkit: what bin/zabkit.mjs ran, its built bundle (dist/cli) or, when a source is newer than
   * the build, the sources through tsx (an esbuild process beside each server; slower to start,
   * more memory): a benchmark of the bundle is a benchmark of what users run.
   */
  readonly zabkitFrom?: 'bundle' | 'sources';
  /** Milliseconds from starting the processes to every member serving. */
  readonly startMs: number;
  /** The member that leads now (a standalone server leads itself). */
  leader(): Promise<Member>;
  kill(m: Member): void;
  stop(): Promise<void>;
}

/** Each member's processes: its pid and any it started (read now). */
export const processesOf = (members: readonly Member[]): number[][] => members.map((m) => processTree(m.pid));

/** The member pids are the servers' runtimes, not wrappers (otherwise stopped, and an error); how zabkit runs. */
async function checked(name: SystemName, r: Running): Promise<Running> {
  try {
    for (const m of r.members) assertRuntime(m.pid, name === 'apache' ? ['java'] : [basename(process.execPath)]);
  } catch (e) {
    await r.stop();
    throw e;
  }
  if (name === 'apache') return r;
  const tsx = processesOf(r.members).some((pids) => pids.some((p) => executableOf(p) === 'esbuild'));
  return { ...r, zabkitFrom: tsx ? 'sources' : 'bundle' };
}

async function modeOf(port: number): Promise<string> {
  const text = await askWord('127.0.0.1', port, 'srvr').catch(() => '');
  return /Mode: (\w+)/.exec(text)?.[1] ?? '';
}

async function leaderAmong(members: readonly Member[]): Promise<Member> {
  for (let i = 0; i < 100; i++) {
    for (const m of members) if (['leader', 'standalone'].includes(await modeOf(m.port))) return m;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no leader');
}

export interface SystemOptions {
  /** Apache's JVM heap limit (default 512m); a big tree needs more, as Node's default heap allows zabkit. */
  readonly apacheHeap?: string;
  /** How long a server may take to serve (a big tree on disk takes a while). */
  readonly readyMs?: number;
}

export async function startSystem(name: SystemName, topology: Topology, dir: string, basePort: number, opts: SystemOptions = {}): Promise<Running> {
  const t0 = Date.now();
  if (name === 'apache') {
    const servers: ApacheServer[] =
      topology === 'standalone'
        ? [await startApache({ port: basePort, dir: join(dir, 'apache'), ...(opts.apacheHeap ? { heap: opts.apacheHeap } : {}), ...(opts.readyMs ? { readyMs: opts.readyMs } : {}) })]
        : await startApacheEnsemble({ size: 3, basePort, dir: join(dir, 'apache') });
    const members = servers.map((s, k) => ({ id: k + 1, port: s.port, pid: s.proc.pid! }));
    return checked(name, {
      members,
      startMs: Date.now() - t0,
      leader: () => leaderAmong(members),
      kill: (m) => servers[m.id - 1]!.proc.kill('SIGKILL'),
      stop: async () => void (await Promise.all(servers.map((s) => s.stop()))),
    });
  }
  if (topology === 'standalone') {
    const server = await startServer(join(dir, 'zabkit'), [], opts.readyMs);
    const members = [{ id: 1, port: server.port, pid: server.proc.pid! }];
    return checked(name, {
      members,
      startMs: Date.now() - t0,
      leader: async () => members[0]!,
      kill: () => void server.kill(),
      stop: async () => void (await server.stop()),
    });
  }
  const l = launch(['ensemble', '--size', '3', '--base-port', String(basePort), '--data-dir', join(dir, 'zabkit'), '--tick-time', '2000']);
  await l.waitFor(/connection string/, undefined, 30000);
  const members = [...l.logs().matchAll(/server (\d+): \w+ +client 127\.0\.0\.1:(\d+).*pid (\d+)/g)].map((m) => ({ id: Number(m[1]), port: Number(m[2]), pid: Number(m[3]) }));
  await leaderAmong(members); // serving once the election is over
  return checked(name, {
    members,
    helpers: [l.proc.pid!],
    startMs: Date.now() - t0,
    leader: () => leaderAmong(members),
    kill: (m) => process.kill(m.pid, 'SIGKILL'),
    async stop() {
      if (l.proc.exitCode === null) l.proc.kill('SIGINT');
      await l.exited;
    },
  });
}
