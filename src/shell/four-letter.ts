// Four-letter words: sent in place of a frame length on a fresh connection; the server writes
// its answer and closes. Layouts follow ZooKeeper 3.8's commands, so scripts that read them work.
import { hostname, platform, release, arch, cpus, totalmem } from 'node:os';
import { dataLength, type Tree, type WatchTable } from '../tree/index.ts';
import type { ConnId } from '../server/index.ts';
import { formatZxid, makeZxid } from '../zab/zxid.ts';
import type { ServerConfig } from './config.ts';
import type { Connection } from './connection.ts';

export const VERSION = '3.8.0-zabkit-0.1.0';

/** ZooKeeper's words: those zabkit answers, and the rest, which are refused by name. */
const ALL_WORDS = new Set(['conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'ruok', 'stmk', 'srvr', 'srst', 'stat', 'wchc', 'wchp', 'wchs', 'mntr', 'isro', 'hash']);

export const isFourLetterWord = (w: string): boolean => ALL_WORDS.has(w);

export interface ServerView {
  readonly config: ServerConfig;
  readonly serving: boolean;
  readonly mode: string;
  readonly lastZxid: number;
  /** The established epoch: a server that has applied nothing in it shows epoch.0, as ZooKeeper. */
  readonly epoch: number;
  /** Entries ZAB holds in memory (bounded by snapshots, PERSIST-9). */
  readonly historyEntries: number;
  /** On a leader: its followers (voting learners) connected, and those in broadcast. */
  readonly followers: { readonly connected: number; readonly synced: number } | null;
  readonly tree: Tree;
  readonly connections: readonly Connection[];
  /** By the reducer's connection ids (the connections' `id`). */
  readonly watchTable: WatchTable<ConnId>;
  readonly outstanding: number;
  readonly sessionDeadlines: { get(id: bigint): number | undefined };
  readonly stats: { received: number; sent: number; latencyMin: number; latencyMax: number; latencyTotal: number; latencyCount: number };
  /** Txns after which this tree's digest differed from the leader's (TREE-27). */
  readonly digestMismatches: number;
}

const hex = (n: bigint | number): string => `0x${n.toString(16)}`;
const shownZxid = (v: ServerView): number => Math.max(v.lastZxid, v.serving ? makeZxid(v.epoch, 0) : 0);

function latency(s: ServerView['stats']): { min: number; avg: string; max: number } {
  return {
    min: s.latencyCount ? s.latencyMin : 0,
    avg: s.latencyCount ? (s.latencyTotal / s.latencyCount).toFixed(4) : '0.0',
    max: s.latencyMax,
  };
}

function srvr(v: ServerView): string {
  const l = latency(v.stats);
  return [
    `Latency min/avg/max: ${l.min}/${l.avg}/${l.max}`,
    `Received: ${v.stats.received}`,
    `Sent: ${v.stats.sent + v.connections.reduce((n, c) => n + c.sent, 0)}`,
    `Connections: ${v.connections.length}`,
    `Outstanding: ${v.outstanding}`,
    `Zxid: ${hex(shownZxid(v))}`,
    `Mode: ${v.mode}`,
    `Node count: ${v.tree.nodes.size}`,
    '',
  ].join('\n');
}

function connLine(c: Connection, full: boolean): string {
  const base = ` /${c.remote}:${c.socket.remotePort ?? 0}[${c.established ? 1 : 0}](queued=${c.outstanding},recved=${c.received},sent=${c.sent}`;
  if (!full || c.session === null) return `${base})`;
  return `${base},sid=${hex(c.session)},lop=${c.lastOp},est=${c.since},to=${c.timeout},lzxid=${hex(c.lastZxid)})`;
}

/** Who watches what: path → connections, from both tables. */
function watchesByPath(v: ServerView): Map<string, Set<Connection>> {
  const byId = new Map(v.connections.map((c) => [c.id, c]));
  const out = new Map<string, Set<Connection>>();
  for (const table of [v.watchTable.data, v.watchTable.child]) {
    for (const [path, ws] of table) {
      const set = out.get(path) ?? new Set<Connection>();
      for (const w of ws.keys()) {
        const c = byId.get(w);
        if (c) set.add(c);
      }
      out.set(path, set);
    }
  }
  return out;
}

function watchCount(t: WatchTable<ConnId>): number {
  let n = 0;
  for (const table of [t.data, t.child]) for (const ws of table.values()) n += ws.size;
  return n;
}

function ephemeralCount(tree: Tree): number {
  let n = 0;
  for (const s of tree.sessions.values()) n += s.ephemerals.size;
  return n;
}

const ANSWERS: Readonly<Record<string, (v: ServerView) => string>> = {
  ruok: () => 'imok',
  isro: (v) => (v.mode === 'read-only' ? 'ro' : 'rw'),
  srvr: (v) => `Zookeeper version: ${VERSION}\n${srvr(v)}`,
  stat: (v) => `Zookeeper version: ${VERSION}\nClients:\n${v.connections.map((c) => `${connLine(c, false)}\n`).join('')}\n${srvr(v)}`,
  cons: (v) => `${v.connections.map((c) => `${connLine(c, true)}\n`).join('')}\n`,
  conf: (v) => {
    const c = v.config;
    return [
      `clientPort=${c.clientPort}`,
      `clientPortAddress=${c.clientPortAddress}`,
      `dataDir=${c.dataDir}/version-2`,
      `dataLogDir=${c.dataLogDir}/version-2`,
      `tickTime=${c.tickTime}`,
      `maxClientCnxns=${c.maxClientCnxns}`,
      `minSessionTimeout=${c.minSessionTimeout}`,
      `maxSessionTimeout=${c.maxSessionTimeout}`,
      `serverId=${c.myid}`,
      ...(c.servers.length > 1 ? [`initLimit=${c.initLimit}`, `syncLimit=${c.syncLimit}`] : []),
      '',
    ].join('\n');
  },
  envi: (v) =>
    [
      'Environment:',
      `zookeeper.version=${VERSION}, built on zabkit`,
      `host.name=${hostname()}`,
      `node.version=${process.version}`,
      `os.name=${platform()}`,
      `os.arch=${arch()}`,
      `os.version=${release()}`,
      `os.cpus=${cpus().length}`,
      `os.memory.total=${Math.round(totalmem() / 2 ** 20)}MB`,
      `process.pid=${process.pid}`,
      `user.dir=${process.cwd()}`,
      `zabkit.dataDir=${v.config.dataDir}`,
      '',
    ].join('\n'),
  wchs: (v) => {
    const byPath = watchesByPath(v);
    const watchers = new Set<Connection>();
    for (const ws of byPath.values()) for (const w of ws) watchers.add(w);
    return `${watchers.size} connections watching ${byPath.size} paths\nTotal watches:${watchCount(v.watchTable)}\n`;
  },
  wchc: (v) => {
    const byConn = new Map<Connection, string[]>();
    for (const [path, ws] of watchesByPath(v)) for (const w of ws) byConn.set(w, [...(byConn.get(w) ?? []), path]);
    return [...byConn].map(([c, paths]) => `${hex(c.session ?? 0n)}\n${paths.map((p) => `\t${p}\n`).join('')}`).join('');
  },
  wchp: (v) =>
    [...watchesByPath(v)].map(([path, ws]) => `${path}\n${[...ws].map((c) => `\t${hex(c.session ?? 0n)}\n`).join('')}`).join(''),
  dump: (v) => {
    const sessions = [...v.tree.sessions];
    const lines = ['SessionTracker dump:', `Global Sessions(${sessions.length}):`];
    for (const [id, s] of sessions) lines.push(`${hex(id)}\t${s.timeout}ms`);
    const withEph = sessions.filter(([, s]) => s.ephemerals.size > 0);
    lines.push('ephemeral nodes dump:', `Sessions with Ephemerals (${withEph.length}):`);
    for (const [id, s] of withEph) lines.push(`${hex(id)}:`, ...[...s.ephemerals].sort().map((p) => `\t${p}`));
    lines.push('Connections dump:', `Connections Sets (${v.connections.length}):`);
    for (const c of v.connections) if (c.session !== null) lines.push(`${hex(c.session)}`);
    return `${lines.join('\n')}\n`;
  },
  mntr: (v) => {
    const l = latency(v.stats);
    const rows: [string, string | number][] = [
      ['zk_version', VERSION],
      ['zk_server_state', v.mode],
      ['zk_avg_latency', l.avg],
      ['zk_max_latency', l.max],
      ['zk_min_latency', l.min],
      ['zk_packets_received', v.stats.received],
      ['zk_packets_sent', v.stats.sent + v.connections.reduce((n, c) => n + c.sent, 0)],
      ['zk_num_alive_connections', v.connections.length],
      ['zk_outstanding_requests', v.outstanding],
      ['zk_znode_count', v.tree.nodes.size],
      ['zk_watch_count', watchCount(v.watchTable)],
      ['zk_ephemerals_count', ephemeralCount(v.tree)],
      ['zk_approximate_data_size', [...v.tree.nodes.values()].reduce((n, z) => n + dataLength(z.data), 0)],
      ['zk_global_sessions', v.tree.sessions.size],
      ['zk_digest_mismatches_count', v.digestMismatches],
      ['zk_last_zxid', hex(shownZxid(v))],
      ['zk_last_zxid_split', formatZxid(shownZxid(v))],
      ['zk_uptime', Math.round(process.uptime() * 1000)],
      ['zk_heap_used_bytes', process.memoryUsage().heapUsed],
      ['zk_rss_bytes', process.memoryUsage().rss],
    ];
    rows.push(['zabkit_history_entries', v.historyEntries]);
    if (v.followers) rows.push(['zk_followers', v.followers.connected], ['zk_synced_followers', v.followers.synced]);
    return rows.map(([k, x]) => `${k}\t${x}\n`).join('');
  },
};

const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests\n';

/** The answer to one word, as the bytes to send before closing. */
export function fourLetterWord(v: ServerView, word: string): string {
  if (!v.config.fourLetterWords.has(word)) return `${word} is not executed because it is not in the whitelist.\n`;
  const answer = ANSWERS[word];
  if (!answer) return `${word} is not supported by zabkit.\n`;
  if (!v.serving && word !== 'ruok' && word !== 'envi' && word !== 'conf') return NOT_SERVING;
  return answer(v);
}
