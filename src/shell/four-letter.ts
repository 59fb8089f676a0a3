// Four-letter words: sent in place of a frame length on a fresh connection; the server writes
// its answer and closes. Layouts follow ZooKeeper 3.8's commands, so scripts that read them work;
// the figures are server-figures.ts's, the same the AdminServer's JSON and the metrics give.
import type { Tree, WatchTable } from '../tree/index.ts';
import type { ConnId } from '../server/index.ts';
import type { ServerState as ZabState } from '../zab/types.ts';
import type { ServerConfig } from './config.ts';
import type { Connection } from './connection.ts';
import { javaDouble, javaHex } from './java-format.ts';
import type { Metrics } from './metrics.ts';
import {
  confLines,
  dataWatchesByConn,
  dataWatchesByPath,
  dirs,
  environment,
  isLeader,
  lastOpName,
  latency,
  monitorValues,
  nodeCount,
  packetsSent,
  shownZxid,
  VERSION,
} from './server-figures.ts';
import { JDouble } from './jackson-json.ts';

export { VERSION };

/** ZooKeeper's words: those zabkit answers, and the rest, which are refused by name. */
const ALL_WORDS = new Set(['conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'ruok', 'stmk', 'srvr', 'srst', 'stat', 'wchc', 'wchp', 'wchs', 'mntr', 'isro', 'hash']);

export const isFourLetterWord = (w: string): boolean => ALL_WORDS.has(w);

/** The bytes after `stmk`: the new trace mask, a big-endian long. */
export const STMK_ARGUMENT = 8;

/** What the server's figures are made of: the four-letter words, the AdminServer and the metrics read it. */
export interface ServerView {
  readonly config: ServerConfig;
  readonly serving: boolean;
  readonly mode: string;
  readonly lastZxid: number;
  /** The established epoch: a server that has applied nothing in it shows epoch.0, as ZooKeeper. */
  readonly epoch: number;
  /** Entries ZAB holds in memory (bounded by snapshots, PERSIST-9). */
  readonly historyEntries: number;
  readonly tree: Tree;
  readonly connections: readonly Connection[];
  /** By the reducer's connection ids (the connections' `id`). */
  readonly watchTable: WatchTable<ConnId>;
  readonly outstanding: number;
  readonly sessionDeadlines: { get(id: bigint): number | undefined };
  readonly stats: { received: number; sent: number; latencyMin: number; latencyMax: number; latencyTotal: number; latencyCount: number; authFailed: number };
  /** Txns after which this tree's digest differed from the leader's (TREE-27). */
  readonly digestMismatches: number;
  readonly metrics: Metrics;
  /** Since this server started (ServerStats' uptime). */
  readonly uptimeMs: number;
  /** Since this server became leader; null unless leading. */
  readonly leaderUptimeMs: number | null;
  /** ZAB's state (phase, stage, learners), once started. */
  readonly zab: ZabState<unknown> | undefined;
  readonly leaderId: number | null;
  /** The digest after every 128th zxid, the last 1024 (ZooKeeper's DataTree digest log; `hash`). */
  readonly digestLog: readonly { readonly zxid: number; readonly digest: number }[];
  /** ZooKeeper's ZooTrace mask (gtmk, stmk): kept and shown; zabkit's tracing is `--trace`. */
  traceMask: bigint;
  /** srst / stat_reset: latency, packet counts, response sizes and the metrics; the word resets the leader's proposal sizes too. */
  resetStats(fourLetterWord: boolean): void;
  /** crst / connection_stat_reset: every connection's figures. */
  resetConnectionStats(): void;
}

/** A connection's response figures (ServerCnxn's lastCxid, lastResponseTime, latencies), kept beside it. */
export interface ConnectionStats {
  lastCxid: number;
  lastResponseTime: number;
  lastLatency: number;
  minLatency: number;
  maxLatency: number;
  totalLatency: number;
  count: number;
}
const byConnection = new WeakMap<Connection, ConnectionStats>();
const freshStats = (): ConnectionStats => ({ lastCxid: -1, lastResponseTime: 0, lastLatency: 0, minLatency: 0, maxLatency: 0, totalLatency: 0, count: 0 });

export function connectionStats(c: Connection): ConnectionStats {
  let s = byConnection.get(c);
  if (!s) byConnection.set(c, (s = freshStats()));
  return s;
}

/** A response went out on `c`: ServerCnxn.updateStatsForResponse (a negative xid, a ping's or a watch's, keeps the last cxid). */
export function noteResponse(c: Connection, xid: number, start: number, end: number): void {
  const s = connectionStats(c);
  if (xid >= 0) s.lastCxid = xid;
  const ms = end - start;
  s.lastResponseTime = end;
  s.lastLatency = ms;
  s.minLatency = s.count ? Math.min(s.minLatency, ms) : ms;
  s.maxLatency = Math.max(s.maxLatency, ms);
  s.totalLatency += ms;
  s.count++;
}

/** ServerCnxn.resetStats: its counts and figures start again (the last zxid shows as -1). */
export function resetConnection(c: Connection): void {
  byConnection.set(c, freshStats());
  c.received = 0;
  c.sent = 0;
  c.lastOp = 'NA';
  c.lastZxid = -1n;
}

const hex = (n: bigint | number): string => `0x${javaHex(n)}`;

function srvr(v: ServerView): string {
  const l = latency(v);
  const lines = [
    `Latency min/avg/max: ${l.min}/${javaDouble(l.avg)}/${l.max}`,
    `Received: ${v.stats.received}`,
    `Sent: ${packetsSent(v)}`,
    `Connections: ${v.connections.length}`,
    `Outstanding: ${v.outstanding}`,
    `Zxid: ${hex(shownZxid(v))}`,
    `Mode: ${v.mode}`,
    `Node count: ${nodeCount(v)}`,
  ];
  if (isLeader(v)) lines.push(`Proposal sizes last/min/max: ${v.metrics.proposalSizes}`);
  return `${lines.join('\n')}\n`;
}

function connLine(c: Connection, full: boolean): string {
  const base = ` /${c.remote}:${c.socket.remotePort ?? 0}[${c.established ? 1 : 0}](queued=${c.outstanding},recved=${c.received},sent=${c.sent}`;
  if (!full || c.session === null || c.session <= 0n) return `${base})`;
  const s = connectionStats(c);
  const lcxid = s.lastCxid >= 0 ? `,lcxid=${hex(s.lastCxid)}` : '';
  const lat = `lresp=${s.lastResponseTime},llat=${s.lastLatency},minlat=${s.minLatency},avglat=${s.count ? Math.floor(s.totalLatency / s.count) : 0},maxlat=${s.maxLatency}`;
  return `${base},sid=${hex(c.session)},lop=${lastOpName(c.lastOp)},est=${c.since},to=${c.timeout}${lcxid},lzxid=${hex(c.lastZxid)},${lat})`;
}

/** A value as MonitorCommand prints it: a long as is, a double as Java's, anything else as text. */
const monitorValue = (x: number | JDouble | string | null): string => (x instanceof JDouble ? javaDouble(x.value) : String(x));

const ANSWERS: Readonly<Record<string, (v: ServerView) => string>> = {
  ruok: () => 'imok',
  isro: (v) => (v.mode === 'read-only' ? 'ro' : 'rw'),
  srvr: (v) => `Zookeeper version: ${VERSION}\n${v.mode === 'read-only' ? 'READ-ONLY mode; serving only read-only clients\n' : ''}${srvr(v)}`,
  stat: (v) =>
    `Zookeeper version: ${VERSION}\n${v.mode === 'read-only' ? 'READ-ONLY mode; serving only read-only clients\n' : ''}Clients:\n${v.connections.map((c) => `${connLine(c, false)}\n`).join('')}\n${srvr(v)}`,
  cons: (v) => `${v.connections.map((c) => `${connLine(c, true)}\n`).join('')}\n`,
  // A member's ends with the membership's version line, and no newline after it, as ZooKeeper's.
  conf: (v) => `${confLines(v).join('\n')}${v.config.servers.length > 1 ? '' : '\n'}`,
  envi: (v) => `Environment:\n${environment(v).map(([k, x]) => `${k}=${x}\n`).join('')}`,
  wchs: (v) => {
    const byPath = dataWatchesByPath(v);
    let total = 0;
    for (const conns of byPath.values()) total += conns.length;
    return `${dataWatchesByConn(v).size} connections watching ${byPath.size} paths\nTotal watches:${total}\n`;
  },
  // ZooKeeper ends both dumps with an empty line: a server without watches answers "\n".
  wchc: (v) => `${[...dataWatchesByConn(v)].map(([c, paths]) => `${hex(c.session ?? 0n)}\n${paths.map((p) => `\t${p}\n`).join('')}`).join('')}\n`,
  wchp: (v) => `${[...dataWatchesByPath(v)].map(([path, conns]) => `${path}\n${conns.map((c) => `\t${hex(c.session ?? 0n)}\n`).join('')}`).join('')}\n`,
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
  mntr: (v) => monitorValues(v).map(([k, x]) => `zk_${k}\t${monitorValue(x)}\n`).join(''),
  dirs: (v) => {
    const d = dirs(v);
    return `datadir_size: ${d.datadir}\nlogdir_size: ${d.logdir}\n`;
  },
  hash: (v) => v.digestLog.map((d) => `${javaHex(d.zxid)}: ${d.digest}\n`).join(''),
  gtmk: (v) => String(v.traceMask),
  srst: (v) => {
    v.resetStats(true);
    return 'Server stats reset.\n';
  },
  crst: (v) => {
    v.resetConnectionStats();
    return 'Connection stats reset.\n';
  },
};

const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests\n';
/** Answered whether or not the server serves, as ZooKeeper's (the trace mask is the process's). */
const ALWAYS = new Set(['ruok', 'envi', 'conf', 'gtmk', 'stmk']);

/** The answer to one word, as the bytes to send before closing. `stmk` carries its mask (the 8 bytes after it). */
export function fourLetterWord(v: ServerView, word: string, mask?: bigint): string {
  if (!v.config.fourLetterWords.has(word)) return `${word} is not executed because it is not in the whitelist.\n`;
  if (word === 'stmk') {
    v.traceMask = mask ?? 0n;
    return String(v.traceMask);
  }
  const answer = ANSWERS[word];
  if (!answer) return `${word} is not supported by zabkit.\n`;
  if (!v.serving && !ALWAYS.has(word)) return NOT_SERVING;
  return answer(v);
}

