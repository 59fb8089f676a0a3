// The Prometheus endpoint of a zabkit server configured as ZooKeeper's PrometheusMetricsProvider
// would be: /metrics in text format 0.0.4, the names that provider exports (ServerMetrics and the
// gauges ZooKeeperServer registers; Debian's ZooKeeper does not ship the provider, so the names
// are checked against its source's), summaries with quantiles as its Java client writes them,
// latencies recorded where they happen; mntr in the provider's shape.
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ZooKeeperClient } from '../../src/client/index.ts';
import { freeBasePort } from '../../conformance/launch.ts';
import { fourLetter, removeDir, startServer, tempDir, type RunningServer } from './harness.ts';

/** What ZooKeeper 3.8 exports (ServerMetrics.java, ZooKeeperServer.registerMetrics), by type. */
const COUNTERS =
  'looking_count diff_count snap_count commit_count connection_request_count connection_rejected bytes_received_count unrecoverable_error_count add_dead_watcher_stall_time dead_watchers_queued dead_watchers_cleared response_packet_cache_hits response_packet_cache_misses response_packet_get_children_cache_hits response_packet_get_children_cache_misses ensemble_auth_success ensemble_auth_fail ensemble_auth_skip prep_processor_request_queued outstanding_changes_queued outstanding_changes_removed revalidate_count connection_drop_count connection_revalidate_count sessionless_connections_expired stale_sessions_expired request_commit_queued throttled_ops learner_proposal_received_count learner_commit_received_count sync_processor_request_queued proposal_count quit_leading_due_to_disloyal_voter stale_requests stale_requests_dropped stale_replies request_throttle_wait_count large_requests_rejected digest_mismatches_count unsuccessful_handshake insecure_admin_count tls_handshake_exceeded cnxn_closed_without_zk_server_running skip_learner_request_to_next_processor_count requests_not_forwarded_to_commit_processor response_bytes watch_bytes quota_exceeded_error_per_namespace'.split(
    ' ',
  );
const ADVANCED =
  'readlatency updatelatency propagation_latency dead_watchers_cleaner_latency prep_processor_queue_time_ms close_session_prep_time read_commitproc_time_ms write_commitproc_time_ms local_write_committed_time_ms server_write_committed_time_ms om_proposal_process_time_ms om_commit_process_time_ms read_final_proc_time_ms write_final_proc_time_ms proposal_latency proposal_ack_creation_latency commit_propagation_latency learner_handler_qp_time_ms sync_processor_queue_and_flush_time_ms sync_processor_queue_time_ms sync_processor_queue_flush_time_ms quorum_ack_latency ack_latency request_throttle_queue_time_ms jvm_pause_time_ms'.split(
    ' ',
  );
const BASIC =
  'fsynctime snapshottime dbinittime follower_sync_time observer_sync_time election_time connection_token_deficit inflight_snap_count inflight_diff_count write_per_namespace read_per_namespace node_created_watch_count node_deleted_watch_count node_changed_watch_count node_children_watch_count prep_processor_queue_size prep_process_time proposal_process_time unavailable_time leader_unavailable_time requests_in_session_queue pending_session_queue_size reads_after_write_in_session_queue reads_issued_from_session_queue session_queues_drained time_waiting_empty_pool_in_commit_processor_read_ms write_batch_time_in_commit_processor concurrent_request_processing_in_commit_processor read_commit_proc_req_queued write_commit_proc_req_queued commit_commit_proc_req_queued read_commit_proc_issued write_commit_proc_issued commit_process_time learner_handler_qp_size startup_txns_loaded startup_txns_load_time startup_snap_load_time sync_processor_queue_size sync_process_time sync_processor_batch_size netty_queued_buffer_capacity learner_request_processor_queue_size socket_closing_time'.split(
    ' ',
  );
const GAUGES =
  'avg_latency max_latency min_latency packets_received packets_sent num_alive_connections outstanding_requests uptime znode_count watch_count ephemerals_count approximate_data_size global_sessions local_sessions open_file_descriptor_count max_file_descriptor_count connection_drop_probability last_client_response_size max_client_response_size min_client_response_size outstanding_tls_handshake auth_failed_count non_mtls_remote_conn_count non_mtls_local_conn_count quota_count_limit_per_namespace quota_bytes_limit_per_namespace quota_count_usage_per_namespace quota_bytes_usage_per_namespace'.split(
    ' ',
  );

interface Family {
  type: string;
  help: string;
  samples: { name: string; labels: string; value: string }[];
}

/** The exposition text, parsed, every sample checked to belong to the family declared before it. */
function parse(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: Family | undefined;
  let name = '';
  for (const line of text.split('\n').filter(Boolean)) {
    const help = /^# HELP (\w+) (.*)$/.exec(line);
    const type = /^# TYPE (\w+) (counter|gauge|summary)$/.exec(line);
    if (help) {
      name = help[1]!;
      families.set(name, (current = { type: '', help: help[2]!, samples: [] }));
    } else if (type) {
      expect(type[1]).toBe(name);
      current!.type = type[2]!;
    } else {
      const m = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
      expect(m, line).not.toBeNull();
      expect([line, [name, `${name}_count`, `${name}_sum`].includes(m![1]!)]).toEqual([line, true]);
      current!.samples.push({ name: m![1]!, labels: m![2] ?? '', value: m![3]! });
    }
  }
  return families;
}

let dir = '';
let server: RunningServer;
let metricsPort = 0;
let client: ZooKeeperClient;
const scrape = async () => {
  const r = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parse(await r.text());
};
const value = (f: Map<string, Family>, name: string, sample = name, labels = '') => Number(f.get(name)?.samples.find((s) => s.name === sample && s.labels === labels)?.value);

beforeAll(async () => {
  dir = tempDir('zabkit-metrics-');
  metricsPort = await freeBasePort(1);
  mkdirSync(`${dir}/data`);
  const provider = 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider';
  writeFileSync(`${dir}/zoo.cfg`, `dataDir=${dir}/data\nmetricsProvider.className=${provider}\nmetricsProvider.httpHost=127.0.0.1\nmetricsProvider.httpPort=${metricsPort}\n`);
  server = await startServer(`${dir}/data`, ['--config', `${dir}/zoo.cfg`]);
  client = await connect(`127.0.0.1:${server.port}`);
  await client.create('/m', Buffer.from('data'));
  await Promise.all(Array.from({ length: 20 }, (_, i) => client.create(`/m/c${i}`, null)));
  await client.getData('/m');
});

afterAll(async () => {
  await client?.close();
  expect(await server?.stop()).toBe(0);
  removeDir(dir);
});

describe('the Prometheus endpoint', () => {
  it('exports every name ZooKeeper 3.8 does, of the same type, each with HELP and TYPE', async () => {
    const f = await scrape();
    const wrong = [
      ...COUNTERS.map((n) => [n, 'counter']),
      ...ADVANCED.map((n) => [n, 'summary']),
      ...BASIC.map((n) => [n, 'summary']),
      ...GAUGES.map((n) => [n, 'gauge']),
    ].filter(([n, type]) => f.get(n!)?.type !== type);
    expect(wrong).toEqual([]);
    expect(f.get('readlatency')!.help).toBe('readlatency'); // the provider's help is the name
  });

  it('writes summaries as the Java client: quantiles (0.5; 0.9 and 0.99 when advanced) with a trailing comma, then _count and _sum', async () => {
    const f = await scrape();
    expect(f.get('readlatency')!.samples.map((s) => `${s.name}${s.labels}`)).toEqual([
      'readlatency{quantile="0.5",}',
      'readlatency{quantile="0.9",}',
      'readlatency{quantile="0.99",}',
      'readlatency_count',
      'readlatency_sum',
    ]);
    expect(f.get('snapshottime')!.samples.map((s) => s.name)).toEqual(['snapshottime', 'snapshottime_count', 'snapshottime_sum']);
    expect(f.get('election_time')!.samples[0]!.labels).toBe('{quantile="0.5",}');
    expect(value(f, 'observer_sync_time', 'observer_sync_time', '{quantile="0.5",}')).toBeNaN(); // nothing observed
    expect(f.get('looking_count')!.samples[0]!.value).toMatch(/^\d+\.\d+$/); // a double, as Java prints it
  });

  it('records latencies where they happen: requests, the durable write, the leader proposal to its commit', async () => {
    const before = await scrape();
    await Promise.all(Array.from({ length: 10 }, (_, i) => client.setData(`/m/c${i}`, Buffer.from('x'))));
    const f = await scrape();
    expect(value(f, 'updatelatency', 'updatelatency_count') - value(before, 'updatelatency', 'updatelatency_count')).toBe(10);
    expect(value(f, 'readlatency', 'readlatency_count')).toBeGreaterThanOrEqual(1);
    for (const n of ['zabkit_fsync_latency', 'fsynctime', 'zabkit_proposal_latency', 'quorum_ack_latency']) {
      expect([n, value(f, n, `${n}_count`) - value(before, n, `${n}_count`) > 0]).toEqual([n, true]);
    }
    expect(value(f, 'zabkit_proposal_latency', 'zabkit_proposal_latency', '{quantile="0.5",}')).toBeGreaterThan(0);
    expect(value(f, 'write_per_namespace', 'write_per_namespace_count', '{key="m",}')).toBe(31); // 21 creates, 10 setData
    expect(value(f, 'znode_count')).toBe(26); // 21 made, and ZooKeeper's five of an empty tree
    expect(value(f, 'zabkit_history_entries')).toBeGreaterThan(30);
    expect(value(f, 'zabkit_digest_mismatches')).toBe(0);
    expect(value(f, 'process_open_fds')).toBeGreaterThan(0);
  });

  it('answers 404 elsewhere', async () => {
    expect((await fetch(`http://127.0.0.1:${metricsPort}/`)).status).toBe(404);
  });
});

describe('mntr under the Prometheus provider', () => {
  it('shows the provider samples, values as doubles; srst resets no metric (the provider cannot)', async () => {
    const mntr = await fourLetter(server.port, 'mntr');
    expect(mntr).toMatch(/^zk_version\t3\.8\.0-zabkit.*\nzk_server_state\tstandalone\n/);
    expect(mntr).toMatch(/\nzk_readlatency\{quantile="0\.5"\}\t\d+\.\d+\n/);
    const count = (t: string) => Number(/\nzk_updatelatency_count\t(\d+\.\d+)\n/.exec(t)?.[1]);
    expect(count(mntr)).toBeGreaterThan(30);
    expect(await fourLetter(server.port, 'srst')).toBe('Server stats reset.\n');
    const after = await fourLetter(server.port, 'mntr');
    expect(count(after)).toBe(count(mntr));
    expect(after).toMatch(/\nzk_packets_received\t1\.0\n/); // ServerStats is reset, the metrics are not
  });
});
