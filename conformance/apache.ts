// Apache ZooKeeper 3.8 (Debian's `zookeeper` package) as a reference server: one standalone
// server on 127.0.0.1, started from a zoo.cfg of ours, ready once it answers `ruok` and `srvr`
// shows its mode, stopped by the PID we started. Java system properties (`-D`) set what zoo.cfg cannot.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { askWord } from '../src/shell/ensemble.ts';

const JARS = '/usr/share/java';
const CONF = '/etc/zookeeper/conf';

/** Whether this machine has Debian's ZooKeeper and a Java to run it. */
export function apacheInstalled(): boolean {
  return existsSync(join(JARS, 'zookeeper.jar')) && existsSync('/usr/bin/java');
}

export interface ApacheServer {
  readonly port: number;
  readonly proc: ChildProcess;
  readonly output: () => string;
  stop(): Promise<void>;
}

export interface ApacheOptions {
  readonly port: number;
  readonly dir: string;
  /** zoo.cfg lines beyond the defaults (dataDir, clientPort, 4lw, admin server off). */
  readonly cfg?: readonly string[];
  /** Java system properties, e.g. { 'zookeeper.extendedTypesEnabled': 'true' }. */
  readonly props?: Readonly<Record<string, string>>;
  readonly readyMs?: number;
  /** An ensemble member: its id (written to dataDir/myid); cfg then holds the server.N lines. */
  readonly myid?: number;
  /** The JVM's heap limit (-Xmx); 512m unless given. */
  readonly heap?: string;
  /** Resolve once the process is started, without waiting for it to serve (a restart into an ensemble without a quorum). */
  readonly noWait?: boolean;
}

/** A four-letter word's answer; '' when the server does not answer. */
const word = (port: number, w: string): Promise<string> => askWord('127.0.0.1', port, w).catch(() => '');
const ruok = async (port: number): Promise<boolean> => (await word(port, 'ruok')) === 'imok';

export async function startApache(o: ApacheOptions): Promise<ApacheServer> {
  const data = join(o.dir, 'data');
  mkdirSync(data, { recursive: true });
  if (o.myid !== undefined) writeFileSync(join(data, 'myid'), `${o.myid}\n`);
  const cfgFile = join(o.dir, 'zoo.cfg');
  const cfg = [
    `dataDir=${data}`,
    `clientPort=${o.port}`,
    'clientPortAddress=127.0.0.1',
    'tickTime=2000',
    '4lw.commands.whitelist=*',
    'admin.enableServer=false',
    ...(o.cfg ?? []),
  ];
  writeFileSync(cfgFile, `${cfg.join('\n')}\n`);
  const jars = readdirSync(JARS).filter((f) => f.endsWith('.jar')).map((f) => join(JARS, f));
  const props = Object.entries(o.props ?? {}).map(([k, v]) => `-D${k}=${v}`);
  const proc = spawn(
    'java',
    [`-Xmx${o.heap ?? '512m'}`, '-Dzookeeper.log.dir=' + o.dir, ...props, '-cp', [CONF, ...jars].join(':'), 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfgFile],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20000));
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const server: ApacheServer = {
    port: o.port,
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
  if (o.noWait) return server;
  const deadline = Date.now() + (o.readyMs ?? 30000);
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`Apache ZooKeeper exited with ${proc.exitCode}:\n${out}`);
    // `ruok` answers before the server takes sessions ("ZooKeeperServer not running"); srvr's Mode does not.
    if ((await ruok(o.port)) && /Mode: /.test(await word(o.port, 'srvr'))) return server;
    await new Promise((r) => setTimeout(r, 200));
  }
  await server.stop();
  throw new Error(`Apache ZooKeeper did not serve (ruok, srvr) on port ${o.port} within ${o.readyMs ?? 30000} ms:\n${out}`);
}

export interface ApacheEnsembleOptions {
  readonly size: number;
  readonly basePort: number;
  readonly dir: string;
  readonly cfg?: readonly string[];
}

/** How member k (0-based) of an Apache ensemble starts: also what restarts it after a kill. */
export function apacheMember(o: ApacheEnsembleOptions, k: number): ApacheOptions {
  const lines = Array.from({ length: o.size }, (_, i) => `server.${i + 1}=127.0.0.1:${o.basePort + 100 + i}:${o.basePort + 200 + i};127.0.0.1:${o.basePort + i}`);
  return { port: o.basePort + k, dir: join(o.dir, `server-${k + 1}`), myid: k + 1, cfg: ['initLimit=10', 'syncLimit=5', ...lines, ...(o.cfg ?? [])] };
}

/**
 * An Apache ensemble of `size` voters on 127.0.0.1: client ports basePort.., quorum basePort+100..,
 * election basePort+200..; resolves once every member serves as leader or follower.
 */
export async function startApacheEnsemble(o: ApacheEnsembleOptions): Promise<ApacheServer[]> {
  const started = await Promise.allSettled(Array.from({ length: o.size }, (_, k) => startApache(apacheMember(o, k))));
  const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(servers.map((s) => s.stop())); // none of a broken ensemble is left running
    throw failed.reason;
  }
  const deadline = Date.now() + 30000;
  for (;;) {
    const modes = await Promise.all(servers.map((s) => word(s.port, 'srvr').then((t) => /Mode: (\w+)/.exec(t)?.[1] ?? '')));
    if (modes.every((m) => m === 'leader' || m === 'follower')) return servers;
    if (Date.now() > deadline) {
      await Promise.all(servers.map((s) => s.stop()));
      throw new Error(`Apache ensemble not serving after 30 s: ${modes.join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
