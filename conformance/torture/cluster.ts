// A real ensemble for fault runs, zabkit's or Apache ZooKeeper's, one process per server, with
// every peer link through the fault proxy: server i's zoo.cfg names its own quorum and election
// ports as they are and every other server's as the proxy port for i → j, so the proxy knows who
// sends each byte. Process faults act on one server: kill -9 and restart, SIGSTOP and SIGCONT,
// and (while it is stopped) its data directory.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApache, type ApacheServer } from '../apache.ts';
import { freeBasePort, launch, type Launched } from '../launch.ts';
import { askWord } from '../../src/shell/ensemble.ts';
import { FaultProxy } from './proxy.ts';

export type SystemName = 'zabkit' | 'apache';

export interface TortureNode {
  readonly id: number;
  readonly clientPort: number;
  /** The server's data directory (its files under version-2/). */
  readonly dataDir: string;
  running(): boolean;
  /** The process's PID while it runs. */
  pid(): number | undefined;
  /** Start it (again); resolves once the process is up, not once it serves. */
  start(): Promise<void>;
  /** kill -9; resolves once the process is gone. */
  kill(): Promise<void>;
  pause(): void;
  resume(): void;
  /** SIGTERM and wait (the end of a run). */
  stop(): Promise<void>;
  /** `srvr`'s mode: leader, follower, standalone, or '' when it does not serve. */
  mode(): Promise<string>;
  /** The server's recent output, for a report of what went wrong. */
  output(): string;
}

export interface Cluster {
  readonly system: SystemName;
  readonly nodes: readonly TortureNode[];
  readonly proxy: FaultProxy;
  readonly connectString: string;
  /** The server that leads now, if one does. */
  leader(): Promise<TortureNode | undefined>;
  /** Resolves once every running server serves with one leader among them (or throws after `ms`). */
  stable(ms?: number): Promise<TortureNode>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** 1: a standalone server (no server lines); else an ensemble of that many voters. */
  readonly size?: number;
  readonly tickTime?: number;
  /** Settings Apache takes as Java system properties (zabkit reads them from zoo.cfg), e.g. zookeeper.extendedTypesEnabled. */
  readonly props?: Readonly<Record<string, string>>;
  /** zoo.cfg lines for every server of either system. */
  readonly cfg?: readonly string[];
}

/** zoo.cfg lines for server `me`: its own ports as they are, the others' through the proxy. */
function serverLines(me: number, ports: readonly { id: number; client: number; quorum: number; election: number }[], proxy: FaultProxy): string[] {
  return ports.map((p) =>
    p.id === me
      ? `server.${p.id}=127.0.0.1:${p.quorum}:${p.election};127.0.0.1:${p.client}`
      : `server.${p.id}=127.0.0.1:${proxy.portFor(me, p.id, 'quorum')}:${proxy.portFor(me, p.id, 'election')};127.0.0.1:${p.client}`,
  );
}

const modeOf = async (port: number): Promise<string> => /Mode: (\w+)/.exec(await askWord('127.0.0.1', port, 'srvr').catch(() => ''))?.[1] ?? '';

export async function startCluster(system: SystemName, dir: string, o: ClusterOptions = {}): Promise<Cluster> {
  const size = o.size ?? 3;
  const tickTime = o.tickTime ?? 2000;
  const base = await freeBasePort(size);
  const ports = Array.from({ length: size }, (_, k) => ({ id: k + 1, client: base + k, quorum: base + 100 + k, election: base + 200 + k }));
  const proxy = new FaultProxy();
  await proxy.start(ports.map((p) => ({ id: p.id, quorum: p.quorum, election: p.election })));
  const lines = (id: number) => [...(size === 1 ? [] : serverLines(id, ports, proxy)), ...(o.cfg ?? [])];
  const props = o.props ?? {};
  const nodes = ports.map((p) => (system === 'zabkit' ? zabkitNode(p, dir, tickTime, [...lines(p.id), ...Object.entries(props).map(([k, v]) => `${k}=${v}`)]) : apacheNode(p, dir, tickTime, lines(p.id), props)));
  const cluster: Cluster = {
    system,
    nodes,
    proxy,
    connectString: ports.map((p) => `127.0.0.1:${p.client}`).join(','),
    async leader() {
      for (const n of nodes) if (n.running() && (await n.mode()) === 'leader') return n;
      return undefined;
    },
    async stable(ms = 60000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const up = nodes.filter((n) => n.running());
        const modes = await Promise.all(up.map((n) => n.mode()));
        const leaders = up.filter((_, i) => modes[i] === 'leader');
        if (size === 1 && modes[0] === 'standalone') return up[0]!;
        if (leaders.length === 1 && modes.every((m) => m === 'leader' || m === 'follower')) return leaders[0]!;
        if (Date.now() > deadline) throw new Error(`${system}: no stable ensemble after ${ms} ms: ${modes.join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      for (const n of nodes) n.resume();
      await Promise.all(nodes.map((n) => n.stop()));
      await proxy.stop();
    },
  };
  try {
    await Promise.all(nodes.map((n) => n.start()));
    await cluster.stable();
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}

interface Ports {
  readonly id: number;
  readonly client: number;
}

/** What both kinds of node share: the process's life, given how to spawn it. */
function node(p: Ports, dataDir: string, spawn: () => Promise<{ proc: import('node:child_process').ChildProcess; exited: Promise<unknown>; output: () => string }>): TortureNode {
  let run: Awaited<ReturnType<typeof spawn>> | null = null;
  let paused = false;
  const alive = () => run !== null && run.proc.exitCode === null && run.proc.signalCode === null;
  const signal = (sig: NodeJS.Signals) => {
    if (alive()) run!.proc.kill(sig);
  };
  return {
    id: p.id,
    clientPort: p.client,
    dataDir,
    running: alive,
    pid: () => (alive() ? run!.proc.pid : undefined),
    async start() {
      if (alive()) return;
      paused = false;
      run = await spawn();
    },
    async kill() {
      if (!alive()) return;
      signal('SIGKILL');
      await run!.exited;
      paused = false;
    },
    pause() {
      if (alive() && !paused) (signal('SIGSTOP'), (paused = true));
    },
    resume() {
      if (alive() && paused) (signal('SIGCONT'), (paused = false));
    },
    async stop() {
      if (!alive()) return;
      if (paused) this.resume();
      signal('SIGTERM');
      const t = setTimeout(() => signal('SIGKILL'), 20000); // a stop that hangs still ends the run
      await run!.exited;
      clearTimeout(t);
    },
    mode: () => (alive() && !paused ? modeOf(p.client) : Promise.resolve('')),
    output: () => run?.output() ?? '',
  };
}

function zabkitNode(p: Ports, dir: string, tickTime: number, lines: readonly string[]): TortureNode {
  const home = join(dir, `zabkit-${p.id}`);
  const data = join(home, 'data');
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, 'myid'), `${p.id}\n`);
  const cfg = join(home, 'zoo.cfg');
  writeFileSync(cfg, [`tickTime=${tickTime}`, 'initLimit=10', 'syncLimit=5', `dataDir=${data}`, `clientPort=${p.client}`, 'clientPortAddress=127.0.0.1', ...lines, ''].join('\n'));
  return node(p, data, async () => {
    const l: Launched = launch(['server', '--config', cfg]);
    await l.waitFor(/"msg":"listening"/, undefined, 30000);
    return { proc: l.proc, exited: l.exited, output: () => l.logs().slice(-20000) };
  });
}

function apacheNode(p: Ports, dir: string, tickTime: number, lines: readonly string[], props: Readonly<Record<string, string>>): TortureNode {
  const home = join(dir, `apache-${p.id}`);
  return node(p, join(home, 'data'), async () => {
    const s: ApacheServer = await startApache({ port: p.client, dir: home, ...(lines.length ? { myid: p.id } : {}), noWait: true, props, cfg: [`tickTime=${tickTime}`, 'initLimit=10', 'syncLimit=5', ...lines] });
    const exited = new Promise<void>((r) => (s.proc.exitCode !== null || s.proc.signalCode !== null ? r() : s.proc.once('exit', () => r())));
    return { proc: s.proc, exited, output: s.output };
  });
}
