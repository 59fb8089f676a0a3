// The figures a server shows, computed once from its ServerView for every way they are asked
// for: the four-letter words (four-letter.ts), the AdminServer's JSON (admin-commands.ts) and the
// metrics (metrics.ts). Counting follows ZooKeeper 3.8's DataTree and ServerStats, so that the
// same tree gives the same numbers on both servers.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { arch, cpus, freemem, homedir, hostname, platform, release, totalmem, userInfo } from 'node:os';
import { join } from 'node:path';
import { dataSizeOf } from '../tree/index.ts';
import { makeZxid } from '../zab/zxid.ts';
import type { Connection } from './connection.ts';
import type { ServerView } from './four-letter.ts';
import { eventLoopDelay } from './event-loop-delay.ts';
import { dbl, type JDouble } from './jackson-json.ts';
import { round4 } from './java-format.ts';
import type { Gauge } from './metrics.ts';

export const VERSION = '3.8.0-zabkit-0.1.0';

/** The zxid srvr and zabstate show: a server that serves and has applied nothing in its epoch shows epoch.0, as ZooKeeper. */
export const shownZxid = (v: ServerView): number => Math.max(v.lastZxid, v.serving ? makeZxid(v.epoch, 0) : 0);

/**
 * ZooKeeper's DataTree keeps the root twice, under "" and under "/", and counts map entries:
 * its node count is one more than the tree's znodes.
 */
export const nodeCount = (v: ServerView): number => v.tree.nodes.size + 1;

/** DataTree.approximateDataSize: each entry's path length plus data length (the root's "" entry too). */
export function approximateDataSize(v: ServerView): number {
  let n = 0;
  for (const [path, z] of v.tree.nodes) n += path.length + dataSizeOf(z);
  const root = v.tree.nodes.get('/');
  return n + (root ? dataSizeOf(root) : 0);
}

/** Data and child watches, each (path, watcher) once: WatchManager.size() of both managers. */
export function watchCount(v: ServerView): number {
  let n = 0;
  for (const table of [v.watchTable.data, v.watchTable.child]) for (const ws of table.values()) n += ws.size;
  return n;
}

export function ephemeralsCount(v: ServerView): number {
  let n = 0;
  for (const s of v.tree.sessions.values()) n += s.ephemerals.size;
  return n;
}

/**
 * Who watches what, by path: wchs, wchc, wchp and their JSON come from the data watches only
 * (exists and getData, and the persistent ones), as ZooKeeper's DataTree reports them.
 */
export function dataWatchesByPath(v: ServerView): Map<string, Connection[]> {
  const byId = new Map(v.connections.map((c) => [c.id, c]));
  const out = new Map<string, Connection[]>();
  for (const [path, ws] of v.watchTable.data) {
    const conns = [...ws.keys()].flatMap((w) => byId.get(w) ?? []);
    if (conns.length) out.set(path, conns);
  }
  return out;
}

export function dataWatchesByConn(v: ServerView): Map<Connection, string[]> {
  const out = new Map<Connection, string[]>();
  for (const [path, conns] of dataWatchesByPath(v)) for (const c of conns) out.set(c, [...(out.get(c) ?? []), path]);
  return out;
}

/** The request latency ZooKeeper's ServerStats reports: min and max in ms, the average to 4 places. */
export function latency(v: ServerView): { min: number; avg: number; max: number } {
  const s = v.stats;
  return { min: s.latencyCount ? s.latencyMin : 0, avg: s.latencyCount ? round4(s.latencyTotal / s.latencyCount) : 0, max: s.latencyMax };
}

/** Packets sent: those of connections gone, and of those open. */
export const packetsSent = (v: ServerView): number => v.stats.sent + v.connections.reduce((n, c) => n + c.sent, 0);

/** The directories snapshots and logs live in (storage.ts). */
export const snapDir = (v: ServerView): string => join(v.config.dataDir, 'version-2');
export const logDir = (v: ServerView): string => join(v.config.dataLogDir, 'version-2');

/** Bytes under a directory, every file counted (ZooKeeperServer.getDirSize). */
export function dirSize(path: string): number {
  try {
    const st = statSync(path);
    if (!st.isDirectory()) return st.size;
    return readdirSync(path).reduce((n, f) => n + dirSize(join(path, f)), 0);
  } catch {
    return 0; // gone meanwhile (a purge, a rename)
  }
}

/** `dirs`: the snapshot directory and the log directory (ZooKeeper 3.8.4 on, ZOOKEEPER-4730). */
export const dirs = (v: ServerView): { datadir: number; logdir: number } => ({ datadir: dirSize(snapDir(v)), logdir: dirSize(logDir(v)) });

/** The newest snapshot on disk (last_snapshot): its zxid and, in seconds, when it was written; null if none. */
export function lastSnapshot(v: ServerView): { zxid: number; timestamp: number } | null {
  const dir = snapDir(v);
  if (!existsSync(dir)) return null;
  const newest = readdirSync(dir).filter((f) => /^snapshot\.[0-9a-f]{16}$/.test(f)).sort().at(-1);
  if (!newest) return null;
  return { zxid: parseInt(newest.slice('snapshot.'.length), 16), timestamp: Math.floor(statSync(join(dir, newest)).mtimeMs / 1000) };
}

/** Open and allowed file descriptors (Linux: /proc; elsewhere 0, as ZooKeeper off unix). */
export function fileDescriptors(): { open: number; max: number } {
  try {
    const open = readdirSync('/proc/self/fd').length;
    const limit = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    return { open, max: limit === undefined ? 0 : Number(limit) };
  } catch {
    return { open: 0, max: 0 };
  }
}

/** `envi` and `environment`: ZooKeeper's Environment list, with node where it names the JVM. */
export function environment(v: ServerView): [string, string][] {
  const user = (() => {
    try {
      return userInfo().username;
    } catch {
      return '?';
    }
  })();
  const mb = (n: number) => `${Math.round(n / 2 ** 20)}MB`;
  return [
    ['zookeeper.version', `${VERSION}, built on zabkit`],
    ['host.name', hostname()],
    ['node.version', process.version],
    ['node.execPath', process.execPath],
    ['os.name', platform()],
    ['os.arch', arch()],
    ['os.version', release()],
    ['os.cpus', String(cpus().length)],
    ['user.name', user],
    ['user.home', homedir()],
    ['user.dir', process.cwd()],
    ['os.memory.free', mb(freemem())],
    ['os.memory.total', mb(totalmem())],
    ['process.pid', String(process.pid)],
    ['zabkit.dataDir', v.config.dataDir],
  ];
}

/** `conf`'s values (ZooKeeperServer.dumpConf), then a member's quorum settings. */
export function confLines(v: ServerView): string[] {
  const c = v.config;
  const d = dirs(v);
  const lines = [
    `clientPort=${c.clientPort}`,
    `secureClientPort=${c.secureClient?.port ?? -1}`,
    `dataDir=${snapDir(v)}`,
    `dataDirSize=${d.datadir}`,
    `dataLogDir=${logDir(v)}`,
    `dataLogSize=${d.logdir}`,
    `tickTime=${c.tickTime}`,
    `maxClientCnxns=${c.maxClientCnxns}`,
    `minSessionTimeout=${c.minSessionTimeout}`,
    `maxSessionTimeout=${c.maxSessionTimeout}`,
    `clientPortListenBacklog=-1`,
    `serverId=${c.myid}`,
  ];
  if (c.servers.length <= 1) return lines;
  const me = c.servers.find((s) => s.id === c.myid);
  return [
    ...lines,
    `initLimit=${c.initLimit}`,
    `syncLimit=${c.syncLimit}`,
    'electionAlg=3',
    `electionPort=${me?.electionPort ?? -1}`,
    `quorumPort=${me?.quorumPort ?? -1}`,
    `peerType=${me?.observer ? 1 : 0}`,
    'membership: ',
    ...c.servers.map((s) => `server.${s.id}=${s.host}:${s.quorumPort}:${s.electionPort}:${s.observer ? 'observer' : 'participant'};${clientAddress(v, s.id)}`),
    'version=0',
  ];
}

/** A member's client address as `host:port` (its own from the config; the others' from their server.N line). */
export function clientAddress(v: ServerView, id: number): string {
  const c = v.config;
  if (id === c.myid) return `${c.clientPortAddress}:${c.clientPort}`;
  const s = c.servers.find((x) => x.id === id);
  if (!s?.client) return '';
  return s.client.includes(':') ? s.client : `0.0.0.0:${s.client}`;
}

/** ZooKeeper's ZabState names for where ZAB is (zabstate, peer_state). */
export function zabState(v: ServerView): 'election' | 'discovery' | 'synchronization' | 'broadcast' {
  const s = v.zab;
  if (!s || s.phase === 'looking') return 'election';
  if (s.stage === 'discovery') return 'discovery';
  return s.stage === 'broadcast' ? 'broadcast' : 'synchronization';
}

/** mntr's peer_state: the quorum peer's state, then ZAB's. */
export function peerState(v: ServerView): string {
  const phase = v.zab?.phase ?? 'looking';
  return `${phase} - ${zabState(v)}`;
}

/** A quorum member that serves as one (QuorumZooKeeperServer): not standalone, not read-only. */
export const isQuorum = (v: ServerView): boolean => v.config.servers.length > 1 && v.mode !== 'read-only';
/** LeaderZooKeeperServer: a standalone server leads its ensemble of one, but is not one to ZooKeeper. */
export const isLeader = (v: ServerView): boolean => isQuorum(v) && v.zab?.phase === 'leading';

/** ZooKeeper's four-letter names of the last operation (FinalRequestProcessor's lastOp), by zabkit's op name. */
const LAST_OP: Readonly<Record<string, string>> = {
  ping: 'PING', createSession: 'SESS', multi: 'MULT', multiRead: 'MLTR', create: 'CREA', create2: 'CREA', createTTL: 'CREA', createContainer: 'CREA',
  delete: 'DELE', deleteContainer: 'DELE', setData: 'SETD', reconfig: 'RECO', setACL: 'SETA', closeSession: 'CLOS', sync: 'SYNC', check: 'CHEC',
  exists: 'EXIS', getData: 'GETD', setWatches: 'SETW', setWatches2: 'STW2', addWatch: 'ADDW', getACL: 'GETA', getChildren: 'GETC', getChildren2: 'GETC',
  getAllChildrenNumber: 'GETACN', checkWatches: 'CHKW', removeWatches: 'REMW', whoAmI: 'HOMI', getEphemerals: 'GETE',
};
export const lastOpName = (op: string): string => LAST_OP[op] ?? op;

/**
 * The gauges ZooKeeperServer registers, then a quorum member's (QuorumZooKeeperServer,
 * LeaderZooKeeperServer, FollowerZooKeeperServer), in ZooKeeper's order; then zabkit's own.
 * Absent while the server does not serve, as ZooKeeper unregisters them.
 */
export function gauges(v: ServerView): Gauge[] {
  if (!v.serving) return [];
  const l = latency(v);
  const fd = fileDescriptors();
  const r = v.metrics.responseSizes;
  const out: Gauge[] = [
    ['avg_latency', dbl(l.avg)],
    ['max_latency', l.max],
    ['min_latency', l.min],
    ['packets_received', v.stats.received],
    ['packets_sent', packetsSent(v)],
    ['num_alive_connections', v.connections.length],
    ['outstanding_requests', v.outstanding],
    ['uptime', v.uptimeMs],
    ['znode_count', nodeCount(v)],
    ['watch_count', watchCount(v)],
    ['ephemerals_count', ephemeralsCount(v)],
    ['approximate_data_size', approximateDataSize(v)],
    ['global_sessions', v.tree.sessions.size],
    ['local_sessions', 0],
    ['open_file_descriptor_count', fd.open],
    ['max_file_descriptor_count', fd.max],
    ['connection_drop_probability', dbl(0)],
    ['last_client_response_size', r.last],
    ['max_client_response_size', r.max],
    ['min_client_response_size', r.min],
    ['outstanding_tls_handshake', 0],
    ['auth_failed_count', v.stats.authFailed],
    ['non_mtls_remote_conn_count', 0],
    ['non_mtls_local_conn_count', 0],
  ];
  if (isQuorum(v)) {
    out.push(['quorum_size', v.config.servers.filter((s) => !s.observer).length]);
    const s = v.zab;
    if (s?.phase === 'leading') {
      const learners = Object.values(s.learners);
      const synced = (obs: boolean) => learners.filter((x) => x.observer === obs && x.stage === 'uptodate').length;
      const p = v.metrics.proposalSizes;
      out.push(
        ['learners', learners.length],
        ['synced_followers', synced(false)],
        ['synced_non_voting_followers', 0],
        ['synced_observers', synced(true)],
        ['pending_syncs', 0], // the leader answers a learner's SYNC at once: none wait
        ['leader_uptime', v.leaderUptimeMs ?? 0],
        ['last_proposal_size', p.last],
        ['max_proposal_size', p.max],
        ['min_proposal_size', p.min],
      );
    } else if (s?.phase === 'following') out.push(['synced_observers', null]); // no observer master in zabkit: shown by Prometheus only, as 0
  }
  out.push(['zabkit_history_entries', v.historyEntries, 'Entries ZAB holds in memory (bounded by snapshots, PERSIST-9)']);
  const eld = eventLoopDelay();
  out.push(['zabkit_event_loop_delay_max_ms', dbl(eld.maxMs), 'The longest event-loop stall since srst (or since first asked)'], ['zabkit_event_loop_delay_p99_ms', dbl(eld.p99Ms), 'The event loop delay\'s 99th percentile since srst']);
  return out;
}

/** dumpMonitorValues, then the metrics: what `mntr` prints and `monitor` answers, in order. */
export function monitorValues(v: ServerView): [string, number | JDouble | string | null][] {
  const own: [string, string][] = [
    ['version', VERSION],
    ['server_state', v.mode],
  ];
  if (isQuorum(v) && v.serving) own.push(['peer_state', peerState(v)]);
  return [...own, ...v.metrics.dump(gauges(v))];
}
