// The AdminServer's commands: ZooKeeper 3.8's Commands class — each with its primary name and
// aliases, whether it needs a serving server, and its answer in the same shape (keys, value
// kinds, nesting). Every answer is a CommandResponse: the command's entries, then "command" (the
// primary name) and "error" (null) unless an entry set them. Figures come from server-figures.ts,
// the same ones the four-letter words print.
import { readFileSync } from 'node:fs';
import { DIGEST_VERSION } from '../tree/index.ts';
import { counterOf, epochOf } from '../zab/zxid.ts';
import type { Connection } from './connection.ts';
import { connectionStats, type ServerView } from './four-letter.ts';
import { dbl, type JValue } from './jackson-json.ts';
import { javaHex } from './java-format.ts';
import {
  clientAddress,
  dataWatchesByConn,
  dataWatchesByPath,
  dirs,
  environment,
  isLeader,
  isQuorum,
  lastOpName,
  lastSnapshot,
  latency,
  logDir,
  monitorValues,
  nodeCount,
  packetsSent,
  shownZxid,
  snapDir,
  VERSION,
  zabState,
} from './server-figures.ts';

type Entries = [string, JValue][];
type Kwargs = Readonly<Record<string, string>>;

interface Command {
  /** The primary name first. */
  readonly names: readonly string[];
  /** Answered only while the server serves (CommandBase's serverRequired, true unless said). */
  readonly serverRequired: boolean;
  run(v: ServerView, kwargs: Kwargs): Entries;
}

const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests';
const remote = (c: Connection): string => `${c.remote}:${c.socket.remotePort ?? 0}`;

/** ServerCnxn.getConnectionInfo: the brief form, or with the session's figures. */
function connectionInfo(c: Connection, brief: boolean): JValue {
  const info: Entries = [
    ['remote_socket_address', remote(c)],
    ['interest_ops', c.established ? 1 : 0],
    ['outstanding_requests', c.outstanding],
    ['packets_received', c.received],
    ['packets_sent', c.sent],
  ];
  if (!brief) {
    const s = connectionStats(c);
    info.push(
      ['session_id', c.session !== null && c.session > 0n ? c.session : 0],
      ['last_operation', lastOpName(c.lastOp)],
      ['established', c.since],
      ['session_timeout', c.timeout],
      ['last_cxid', s.lastCxid],
      ['last_zxid', c.lastZxid],
      ['last_response_time', s.lastResponseTime],
      ['last_latency', s.lastLatency],
      ['min_latency', s.count ? s.minLatency : 0],
      ['avg_latency', s.count ? Math.floor(s.totalLatency / s.count) : 0],
      ['max_latency', s.maxLatency],
    );
  }
  return new Map(info);
}

const bufferStats = (b: { last: number; min: number; max: number }): JValue =>
  new Map<string, JValue>([
    ['last_buffer_size', b.last],
    ['min_buffer_size', b.min],
    ['max_buffer_size', b.max],
  ]);

/** srvr's answer (SrvrCommand), which stat's extends. */
function serverStats(v: ServerView): Entries {
  const l = latency(v);
  const d = dirs(v);
  const stats = new Map<string, JValue>([
    ['packets_sent', packetsSent(v)],
    ['packets_received', v.stats.received],
    ['fsync_threshold_exceed_count', 0],
    ['client_response_stats', bufferStats(v.metrics.responseSizes)],
    ['uptime', v.uptimeMs],
    ['data_dir_size', d.datadir],
    ['log_dir_size', d.logdir],
    ['provider_null', false],
    ['server_state', v.mode],
    ['last_processed_zxid', shownZxid(v)],
    ['outstanding_requests', v.outstanding],
    ['avg_latency', dbl(l.avg)],
    ['max_latency', l.max],
    ['min_latency', l.min],
    ['num_alive_client_connections', v.connections.length],
    ['auth_failed_count', v.stats.authFailed],
    ['non_mtlsremote_conn_count', 0],
    ['non_mtlslocal_conn_count', 0],
  ]);
  const out: Entries = [
    ['version', `${VERSION}, built on zabkit`],
    ['read_only', v.mode === 'read-only'],
    ['server_stats', stats],
    ['client_response', bufferStats(v.metrics.responseSizes)],
  ];
  if (isLeader(v)) out.push(['proposal_stats', bufferStats(v.metrics.proposalSizes)]);
  out.push(['node_count', nodeCount(v)]);
  return out;
}

/** host:port for the JSON of a MultipleAddresses (zabstate's quorum and election addresses), as Jackson writes its getters. */
function multipleAddresses(host: string, port: number): JValue {
  const a = `${host}:${port}`;
  return new Map<string, JValue>([
    ['empty', false],
    ['all_addresses', [a]],
    ['all_reachable_addresses', [a]],
    ['one', a],
    ['reachable_address', a],
    ['wildcard_addresses', [`0.0.0.0:${port}`]],
    ['all_ports', [port]],
    ['all_host_strings', [host]],
    ['all_reachable_addresses_or_all', [a]],
    ['reachable_or_one', a],
  ]);
}

/** The config file this standalone server was started from (ZooKeeperServerMain keeps it; a quorum peer does not). */
function initialConfiguration(v: ServerView): string | null {
  if (v.config.servers.length > 1) return null;
  const at = process.argv.indexOf('--config');
  const file = at >= 0 ? process.argv[at + 1] : process.argv.find((a) => a.startsWith('--config='))?.slice('--config='.length);
  if (!file) return null;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

const cmd = (names: readonly string[], run: Command['run'], serverRequired = true): Command => ({ names, run, serverRequired });

const COMMANDS: readonly Command[] = [
  cmd(['connection_stat_reset', 'crst'], (v) => {
    v.resetConnectionStats();
    return [];
  }),
  cmd(['configuration', 'conf', 'config'], (v) => [
    ['client_port', v.config.clientPort],
    ['data_dir', snapDir(v)],
    ['data_log_dir', logDir(v)],
    ['tick_time', v.config.tickTime],
    ['max_client_cnxns', v.config.maxClientCnxns],
    ['min_session_timeout', v.config.minSessionTimeout],
    ['max_session_timeout', v.config.maxSessionTimeout],
    ['server_id', v.config.myid],
    ['client_port_listen_backlog', -1],
  ]),
  // A connection does not know whether it came through TLS: all are listed under "connections".
  cmd(['connections', 'cons'], (v) => [
    ['connections', v.connections.map((c) => connectionInfo(c, false))],
    ['secure_connections', []],
  ]),
  cmd(['hash'], (v) => [['digests', v.digestLog.map((d) => new Map<string, JValue>([['zxid', d.zxid], ['digest', d.digest], ['digest_version', DIGEST_VERSION]]))]]),
  cmd(['dirs'], (v) => {
    const d = dirs(v);
    return [
      ['datadir_size', d.datadir],
      ['logdir_size', d.logdir],
    ];
  }),
  cmd(['dump'], (v) => {
    const byExpiry = new Map<string, bigint[]>();
    for (const id of v.tree.sessions.keys()) {
      const at = String(v.sessionDeadlines.get(id) ?? 0);
      byExpiry.set(at, [...(byExpiry.get(at) ?? []), id]);
    }
    const ephemerals = new Map<string, JValue>();
    for (const [id, s] of v.tree.sessions) if (s.ephemerals.size > 0) ephemerals.set(String(id), [...s.ephemerals].sort());
    return [
      ['expiry_time_to_session_ids', new Map([...byExpiry].map(([k, ids]) => [k, ids]))],
      ['session_id_to_ephemeral_paths', ephemerals],
    ];
  }),
  cmd(['environment', 'env', 'envi'], (v) => environment(v), false),
  cmd(['get_trace_mask', 'gtmk'], (v) => [['tracemask', v.traceMask]], false),
  cmd(['initial_configuration', 'icfg'], (v) => [['initial_configuration', initialConfiguration(v)]]),
  cmd(['is_read_only', 'isro'], (v) => [['read_only', v.mode === 'read-only']]),
  cmd(['last_snapshot', 'lsnp'], (v) => {
    const s = lastSnapshot(v);
    return [
      ['zxid', javaHex(s ? s.zxid : -1)],
      ['timestamp', s ? s.timestamp : -1],
    ];
  }),
  cmd(['leader', 'lead'], (v) => {
    if (!isQuorum(v)) return [['error', 'server is not initialized']];
    const leader = v.leaderId;
    const host = leader === null ? undefined : v.config.servers.find((s) => s.id === leader)?.host;
    return [
      ['is_leader', isLeader(v)],
      ['leader_id', leader ?? -1],
      ['leader_ip', host ?? ''],
    ];
  }),
  cmd(['monitor', 'mntr'], (v) => monitorValues(v), false),
  cmd(['observer_connection_stat_reset', 'orst'], () => []),
  cmd(['ruok'], () => []),
  cmd(
    ['set_trace_mask', 'stmk'],
    (v, kwargs) => {
      const given = kwargs.traceMask;
      if (given === undefined) return [['error', 'setTraceMask requires long traceMask argument']];
      if (!/^[+-]?\d+$/.test(given) || BigInt(given) !== BigInt.asIntN(64, BigInt(given))) return [['error', `setTraceMask requires long traceMask argument, got ${given}`]];
      v.traceMask = BigInt(given);
      return [['tracemask', v.traceMask]];
    },
    false,
  ),
  cmd(['server_stats', 'srvr'], (v) => serverStats(v)),
  cmd(['stats', 'stat'], (v) => [...serverStats(v), ['connections', v.connections.map((c) => connectionInfo(c, true))], ['secure_connections', []]]),
  cmd(['stat_reset', 'srst'], (v) => {
    v.resetStats(false);
    return [];
  }),
  cmd(['observers', 'obsr'], (v) => {
    const s = v.zab;
    if (!isLeader(v) || s?.phase !== 'leading') return [['synced_observers', 0], ['observers', []]];
    const observers = Object.entries(s.learners).filter(([, l]) => l.observer && l.stage === 'uptodate');
    return [
      ['synced_observers', observers.length],
      [
        'observers',
        observers.map(([sid, l]) => {
          const m = v.config.servers.find((x) => x.id === Number(sid));
          return new Map<string, JValue>([
            ['remote_socket_address', m ? `${m.host}:${m.quorumPort}` : ''],
            ['sid', Number(sid)],
            ['established', null],
            ['queued_packets', 0],
            ['queued_packets_size', 0],
            ['packets_received', 0],
            ['packets_sent', 0],
            ['requests', 0],
            ['last_zxid', l.peerLast],
          ]);
        }),
      ],
    ];
  }),
  // No JVM: the process's properties that have a meaning in node, sorted by name as ZooKeeper's.
  cmd(
    ['system_properties', 'sysp'],
    (v) => {
      const props: [string, string][] = [...environment(v), ['file.separator', '/'], ['line.separator', '\n'], ['path.separator', ':']];
      return props.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    },
    false,
  ),
  cmd(['voting_view'], (v) => {
    if (!isQuorum(v)) return [['current_config', new Map()]];
    const view = new Map<string, JValue>();
    for (const s of v.config.servers) {
      if (s.observer) continue;
      view.set(
        String(s.id),
        new Map<string, JValue>([
          ['server_addresses', [`${s.host}:${s.quorumPort}`]],
          ['election_addresses', [`${s.host}:${s.electionPort}`]],
          ['client_address', clientAddress(v, s.id)],
          ['learner_type', 'participant'],
        ]),
      );
    }
    return [['current_config', view]];
  }),
  cmd(['watches', 'wchc'], (v) => [['session_id_to_watched_paths', new Map([...dataWatchesByConn(v)].map(([c, paths]) => [String(c.session ?? 0n), paths]))]]),
  cmd(['watches_by_path', 'wchp'], (v) => [['path_to_session_ids', new Map([...dataWatchesByPath(v)].map(([p, conns]) => [p, conns.map((c) => c.session ?? 0n)]))]]),
  cmd(['watch_summary', 'wchs'], (v) => {
    const byPath = dataWatchesByPath(v);
    let total = 0;
    for (const conns of byPath.values()) total += conns.length;
    return [
      ['num_connections', dataWatchesByConn(v).size],
      ['num_paths', byPath.size],
      ['num_total_watches', total],
    ];
  }),
  cmd(
    ['zabstate'],
    (v) => {
      if (!isQuorum(v)) return [['voting', false], ['zabstate', '']];
      const me = v.config.servers.find((s) => s.id === v.config.myid);
      return [
        ['myid', v.config.myid],
        ['is_leader', isLeader(v)],
        ['quorum_address', me ? multipleAddresses(me.host, me.quorumPort) : null],
        ['election_address', me ? multipleAddresses(me.host, me.electionPort) : null],
        ['client_address', clientAddress(v, v.config.myid)],
        ['voting', me !== undefined && !me.observer],
        ['last_zxid', `0x${shownZxid(v).toString(16)}`],
        ['zab_epoch', epochOf(shownZxid(v))],
        ['zab_counter', counterOf(shownZxid(v))],
        ['zabstate', zabState(v)],
      ];
    },
    false,
  ),
];

const BY_NAME = new Map(COMMANDS.flatMap((c) => c.names.map((n) => [n, c] as const)));

/** The primary names, sorted: the links the command URL lists. */
export const primaryNames = (): string[] => COMMANDS.map((c) => c.names[0]!).sort();

/** CommandResponse.toMap: the entries, then "command" and "error" where the entries did not set them. */
function response(command: string, entries: Entries, error: string | null = null): Map<string, JValue> {
  const m = new Map<string, JValue>(entries);
  if (!m.has('command')) m.set('command', command);
  if (!m.has('error')) m.set('error', error);
  return m;
}

/** Commands.runCommand: unknown names and a server that does not serve are answered in the "error" entry. */
export function runCommand(v: ServerView, name: string, kwargs: Kwargs = {}): Map<string, JValue> {
  const c = BY_NAME.get(name);
  if (!c) return response(name, [], `Unknown command: ${name}`);
  if (c.serverRequired && !v.serving) return response(name, [], NOT_SERVING);
  return response(c.names[0]!, c.run(v, kwargs));
}
