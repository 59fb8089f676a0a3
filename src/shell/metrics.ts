// The server's metrics: ZooKeeper 3.8's ServerMetrics catalogue (names and kinds as its
// ServerMetrics declares them), the gauges a server registers (server-figures.ts computes them
// from the ServerView), and zabkit's own. One registry feeds `mntr`, the AdminServer's `monitor`
// and the Prometheus endpoint, in the two shapes ZooKeeper has:
// - without a metrics provider (DefaultMetricsProvider): a summary is avg_/min_/max_/cnt_/sum_
//   (and p50_/p95_/p99_/p999_ for an ADVANCED one), `srst` resets them;
// - with the Prometheus provider: text format 0.0.4 families, a summary's quantiles (0.5; and 0.9,
//   0.99 for ADVANCED) over a 10-minute window then _count and _sum, and `srst` resets nothing
//   (ZooKeeper's Prometheus provider does not support it).
// A metric zabkit has no counterpart for stays at zero, as an unused one does in ZooKeeper.
import { resetEventLoopDelay } from './event-loop-delay.ts';
import { dbl, JDouble } from './jackson-json.ts';
import { javaDouble, round4 } from './java-format.ts';

type Kind = 'counter' | 'basic' | 'advanced' | 'basicSet' | 'advancedSet' | 'counterSet';

/** ServerMetrics, in its order of declaration. */
const APACHE: readonly (readonly [string, Kind])[] = [
  ['fsynctime', 'basic'],
  ['snapshottime', 'basic'],
  ['dbinittime', 'basic'],
  ['readlatency', 'advanced'],
  ['updatelatency', 'advanced'],
  ['propagation_latency', 'advanced'],
  ['follower_sync_time', 'basic'],
  ['observer_sync_time', 'basic'],
  ['election_time', 'basic'],
  ['looking_count', 'counter'],
  ['diff_count', 'counter'],
  ['snap_count', 'counter'],
  ['commit_count', 'counter'],
  ['connection_request_count', 'counter'],
  ['connection_token_deficit', 'basic'],
  ['connection_rejected', 'counter'],
  ['inflight_snap_count', 'basic'],
  ['inflight_diff_count', 'basic'],
  ['write_per_namespace', 'basicSet'],
  ['read_per_namespace', 'basicSet'],
  ['bytes_received_count', 'counter'],
  ['unrecoverable_error_count', 'counter'],
  ['node_created_watch_count', 'basic'],
  ['node_deleted_watch_count', 'basic'],
  ['node_changed_watch_count', 'basic'],
  ['node_children_watch_count', 'basic'],
  ['add_dead_watcher_stall_time', 'counter'],
  ['dead_watchers_queued', 'counter'],
  ['dead_watchers_cleared', 'counter'],
  ['dead_watchers_cleaner_latency', 'advanced'],
  ['response_packet_cache_hits', 'counter'],
  ['response_packet_cache_misses', 'counter'],
  ['response_packet_get_children_cache_hits', 'counter'],
  ['response_packet_get_children_cache_misses', 'counter'],
  ['ensemble_auth_success', 'counter'],
  ['ensemble_auth_fail', 'counter'],
  ['ensemble_auth_skip', 'counter'],
  ['prep_processor_queue_time_ms', 'advanced'],
  ['prep_processor_queue_size', 'basic'],
  ['prep_processor_request_queued', 'counter'],
  ['outstanding_changes_queued', 'counter'],
  ['outstanding_changes_removed', 'counter'],
  ['prep_process_time', 'basic'],
  ['proposal_process_time', 'basic'],
  ['close_session_prep_time', 'advanced'],
  ['revalidate_count', 'counter'],
  ['connection_drop_count', 'counter'],
  ['connection_revalidate_count', 'counter'],
  ['sessionless_connections_expired', 'counter'],
  ['stale_sessions_expired', 'counter'],
  ['unavailable_time', 'basic'],
  ['leader_unavailable_time', 'basic'],
  ['requests_in_session_queue', 'basic'],
  ['pending_session_queue_size', 'basic'],
  ['reads_after_write_in_session_queue', 'basic'],
  ['reads_issued_from_session_queue', 'basic'],
  ['session_queues_drained', 'basic'],
  ['time_waiting_empty_pool_in_commit_processor_read_ms', 'basic'],
  ['write_batch_time_in_commit_processor', 'basic'],
  ['concurrent_request_processing_in_commit_processor', 'basic'],
  ['read_commit_proc_req_queued', 'basic'],
  ['write_commit_proc_req_queued', 'basic'],
  ['commit_commit_proc_req_queued', 'basic'],
  ['request_commit_queued', 'counter'],
  ['read_commit_proc_issued', 'basic'],
  ['write_commit_proc_issued', 'basic'],
  ['throttled_ops', 'counter'],
  ['read_commitproc_time_ms', 'advanced'],
  ['write_commitproc_time_ms', 'advanced'],
  ['local_write_committed_time_ms', 'advanced'],
  ['server_write_committed_time_ms', 'advanced'],
  ['commit_process_time', 'basic'],
  ['om_proposal_process_time_ms', 'advanced'],
  ['om_commit_process_time_ms', 'advanced'],
  ['read_final_proc_time_ms', 'advanced'],
  ['write_final_proc_time_ms', 'advanced'],
  ['proposal_latency', 'advanced'],
  ['proposal_ack_creation_latency', 'advanced'],
  ['commit_propagation_latency', 'advanced'],
  ['learner_proposal_received_count', 'counter'],
  ['learner_commit_received_count', 'counter'],
  ['learner_handler_qp_size', 'basicSet'],
  ['learner_handler_qp_time_ms', 'advancedSet'],
  ['startup_txns_loaded', 'basic'],
  ['startup_txns_load_time', 'basic'],
  ['startup_snap_load_time', 'basic'],
  ['sync_processor_queue_and_flush_time_ms', 'advanced'],
  ['sync_processor_queue_size', 'basic'],
  ['sync_processor_request_queued', 'counter'],
  ['sync_processor_queue_time_ms', 'advanced'],
  ['sync_processor_queue_flush_time_ms', 'advanced'],
  ['sync_process_time', 'basic'],
  ['sync_processor_batch_size', 'basic'],
  ['quorum_ack_latency', 'advanced'],
  ['ack_latency', 'advancedSet'],
  ['proposal_count', 'counter'],
  ['quit_leading_due_to_disloyal_voter', 'counter'],
  ['stale_requests', 'counter'],
  ['stale_requests_dropped', 'counter'],
  ['stale_replies', 'counter'],
  ['request_throttle_queue_time_ms', 'advanced'],
  ['request_throttle_wait_count', 'counter'],
  ['large_requests_rejected', 'counter'],
  ['netty_queued_buffer_capacity', 'basic'],
  ['digest_mismatches_count', 'counter'],
  ['learner_request_processor_queue_size', 'basic'],
  ['unsuccessful_handshake', 'counter'],
  ['insecure_admin_count', 'counter'],
  ['tls_handshake_exceeded', 'counter'],
  ['cnxn_closed_without_zk_server_running', 'counter'],
  ['skip_learner_request_to_next_processor_count', 'counter'],
  ['socket_closing_time', 'basic'],
  ['requests_not_forwarded_to_commit_processor', 'counter'],
  ['response_bytes', 'counter'],
  ['watch_bytes', 'counter'],
  ['jvm_pause_time_ms', 'advanced'],
  ['quota_exceeded_error_per_namespace', 'counterSet'],
];

/** zabkit's own, in milliseconds with their fractions (ZooKeeper's summaries take whole ms). */
const ZABKIT: readonly (readonly [string, Kind, string])[] = [
  ['zabkit_proposal_latency', 'advanced', 'Leader: milliseconds from a proposal to its quorum of acks (its commit)'],
  ['zabkit_fsync_latency', 'advanced', 'Milliseconds a durable txn log write (O_DSYNC, one group commit) took'],
  ['zabkit_digest_mismatches', 'counter', 'Txns after which this tree digest differed from the leader one (TREE-27)'],
];

/** The gauge sets ZooKeeperServer registers (quota limits and usage by top-level namespace). */
export const GAUGE_SETS = ['quota_count_limit_per_namespace', 'quota_bytes_limit_per_namespace', 'quota_count_usage_per_namespace', 'quota_bytes_usage_per_namespace'] as const;

/** A gauge's value: a long (JS number), a double (JDouble), or null (not shown by `mntr`, 0 to Prometheus). */
export type GaugeValue = number | JDouble | null;
export type Gauge = readonly [name: string, value: GaugeValue, help?: string];

/** Prometheus summaries keep quantiles over a sliding window, as its Java client's default. */
const WINDOW_MS = 10 * 60_000;
/** The newest values a window holds (fewer for a set's keys: one summary per namespace or learner). */
const WINDOW_SAMPLES = 4096;
const SET_WINDOW_SAMPLES = 256;
/** Dropwizard's uniform reservoir size, behind ZooKeeper's p50_..p999_. */
const RESERVOIR = 1028;

/**
 * One summary: count, sum, min, max; the percentiles' sample only where they are shown (an
 * ADVANCED summary without Prometheus), the window of newest values only under Prometheus
 * (a ring, so that a value costs O(1) on the request path).
 */
class Summary {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  private reservoir: number[] = [];
  private times: Float64Array | null = null;
  private values_: Float64Array | null = null;
  private next = 0;
  private filled = 0;
  constructor(
    readonly advanced: boolean,
    /** zabkit's own keep fractions of a millisecond. */
    readonly fractional: boolean,
    /** Prometheus: how many of the newest values the window keeps (0: no window). */
    private readonly window: number,
  ) {}

  add(v: number, now: number): void {
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (this.window > 0) {
      this.times ??= new Float64Array(this.window);
      this.values_ ??= new Float64Array(this.window);
      this.times[this.next] = now;
      this.values_[this.next] = v;
      this.next = (this.next + 1) % this.window;
      this.filled = Math.min(this.filled + 1, this.window);
    } else if (this.advanced) {
      // Vitter's algorithm R: every value seen has the same chance to be in the sample.
      if (this.reservoir.length < RESERVOIR) this.reservoir.push(v);
      else {
        const r = Math.floor(Math.random() * this.count);
        if (r < RESERVOIR) this.reservoir[r] = v;
      }
    }
  }

  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.reservoir = [];
    this.next = this.filled = 0;
  }

  private n(x: number): number | JDouble {
    return this.fractional ? dbl(x) : x;
  }

  /** DefaultMetricsProvider's keys for this summary. */
  values(name: string, out: [string, GaugeValue | string][]): void {
    out.push([`avg_${name}`, dbl(this.count ? round4(this.sum / this.count) : 0)]);
    out.push([`min_${name}`, this.n(this.count ? this.min : 0)]);
    out.push([`max_${name}`, this.n(this.count ? this.max : 0)]);
    out.push([`cnt_${name}`, this.count]);
    out.push([`sum_${name}`, this.n(this.sum)]);
    if (!this.advanced) return;
    const sorted = [...this.reservoir].sort((a, b) => a - b);
    for (const [label, q] of [['p50', 0.5], ['p95', 0.95], ['p99', 0.99], ['p999', 0.999]] as const) {
      out.push([`${label}_${name}`, Math.round(uniformQuantile(sorted, q))]);
    }
  }

  /** The Prometheus quantiles: over the last 10 minutes; NaN with nothing in them. */
  quantiles(now: number): [number, number][] {
    const qs = this.advanced ? [0.5, 0.9, 0.99] : [0.5];
    const window: number[] = [];
    for (let i = 0; i < this.filled; i++) if (this.times![i]! > now - WINDOW_MS) window.push(this.values_![i]!);
    window.sort((a, b) => a - b);
    return qs.map((q) => [q, window.length === 0 ? NaN : window[Math.max(0, Math.ceil(q * window.length) - 1)]!]);
  }
}

/** Dropwizard's UniformSnapshot.getValue: linear between the two nearest ranks. */
function uniformQuantile(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = q * (n + 1);
  const index = Math.floor(pos);
  if (index < 1) return sorted[0]!;
  if (index >= n) return sorted[n - 1]!;
  const lower = sorted[index - 1]!;
  return lower + (pos - index) * (sorted[index]! - lower);
}

interface Metric {
  readonly kind: Kind;
  readonly help: string;
  readonly fractional: boolean;
  counter: number;
  readonly summary?: Summary;
  readonly set?: Map<string, Summary>;
  readonly counters?: Map<string, number>;
}

/** ZooKeeper's BufferStats: last/min/max sizes, -1 until one is seen. */
export class BufferStats {
  last = -1;
  min = -1;
  max = -1;
  add(size: number): void {
    this.last = size;
    this.min = this.min < 0 ? size : Math.min(this.min, size);
    this.max = Math.max(this.max, size);
  }
  reset(): void {
    this.last = this.min = this.max = -1;
  }
  toString(): string {
    return `${this.last}/${this.min}/${this.max}`;
  }
}

export class Metrics {
  private readonly metrics = new Map<string, Metric>();
  /** The leader's proposal sizes (srvr's "Proposal sizes last/min/max"). */
  readonly proposalSizes = new BufferStats();
  /** Reply sizes (last/min/max_client_response_size). */
  readonly responseSizes = new BufferStats();

  constructor(
    private readonly now: () => number,
    /** The Prometheus provider is configured: `mntr` shows its samples and `srst` resets nothing. */
    readonly prometheus: boolean,
  ) {
    for (const [name, kind] of APACHE) this.define(name, kind, name, false);
    for (const [name, kind, help] of ZABKIT) this.define(name, kind, help, true);
  }

  private define(name: string, kind: Kind, help: string, fractional: boolean): void {
    const m: Metric = { kind, help, fractional, counter: 0 };
    if (kind === 'basic' || kind === 'advanced') Object.assign(m, { summary: new Summary(kind === 'advanced', fractional, this.prometheus ? WINDOW_SAMPLES : 0) });
    if (kind === 'basicSet' || kind === 'advancedSet') Object.assign(m, { set: new Map() });
    if (kind === 'counterSet') Object.assign(m, { counters: new Map() });
    this.metrics.set(name, m);
  }

  private get(name: string): Metric {
    const m = this.metrics.get(name);
    if (!m) throw new Error(`no metric ${name}`);
    return m;
  }

  count(name: string, n = 1): void {
    this.get(name).counter += n;
  }

  /** A value of a summary (ZooKeeper's take whole milliseconds: pass them so). */
  observe(name: string, value: number): void {
    this.get(name).summary!.add(value, this.now());
  }

  /** A value of one key of a summary set (e.g. a namespace's bytes written). */
  observeKey(name: string, key: string, value: number): void {
    const m = this.get(name);
    let s = m.set!.get(key);
    if (!s) m.set!.set(key, (s = this.setMember(m)));
    s.add(value, this.now());
  }

  private setMember(m: Metric): Summary {
    return new Summary(m.kind === 'advancedSet', m.fractional, this.prometheus ? SET_WINDOW_SAMPLES : 0);
  }

  /** A key of a summary set shown before anything is observed for it (at zero, as an unused metric). */
  ensureKey(name: string, key: string): void {
    const m = this.get(name);
    if (!m.set!.has(key)) m.set!.set(key, this.setMember(m));
  }

  /** `srst` (ServerMetrics.resetAll): counters and summaries, not gauges; nothing under Prometheus. */
  reset(): void {
    this.responseSizes.reset();
    resetEventLoopDelay();
    if (this.prometheus) return;
    for (const m of this.metrics.values()) {
      m.counter = 0;
      m.summary?.reset();
      // A set keeps its keys, each back at zero, as ZooKeeper's.
      for (const x of m.set?.values() ?? []) x.reset();
      for (const key of m.counters?.keys() ?? []) m.counters!.set(key, 0);
    }
  }

  /** The provider's dump, as `mntr` and `monitor` show it after the server's own values. */
  dump(gauges: readonly Gauge[]): [string, GaugeValue | string][] {
    return this.prometheus ? this.promDump(gauges) : this.defaultDump(gauges);
  }

  private defaultDump(gauges: readonly Gauge[]): [string, GaugeValue | string][] {
    const out: [string, GaugeValue | string][] = [];
    for (const [name, value] of gauges) if (value !== null) out.push([name, value]);
    const byKind = (k: Kind) => [...this.metrics].filter(([, m]) => m.kind === k);
    for (const [name, m] of byKind('counter')) out.push([name, m.counter]);
    for (const [name, m] of byKind('counterSet')) for (const [key, n] of m.counters!) out.push([`${key}_${name}`, n]);
    for (const k of ['basic', 'advanced'] as const) for (const [name, m] of byKind(k)) m.summary!.values(name, out);
    for (const k of ['basicSet', 'advancedSet'] as const) for (const [name, m] of byKind(k)) for (const [key, s] of m.set!) s.values(`${key}_${name}`, out);
    return out;
  }

  private promDump(gauges: readonly Gauge[]): [string, GaugeValue | string][] {
    const out: [string, GaugeValue | string][] = [];
    for (const f of this.families(gauges)) {
      for (const s of f.samples) {
        const labels = s.labels.length ? `{${s.labels.map(([k, v]) => `${k}="${v}"`).join(',')}}` : '';
        out.push([`${s.name}${labels}`, dbl(s.value)]);
      }
    }
    return out;
  }

  /** Every family as the Prometheus Java client collects it: gauges first, then the catalogue, then zabkit's. */
  families(gauges: readonly Gauge[], extra: readonly Family[] = []): Family[] {
    const fams: Family[] = [];
    for (const [name, value, help] of gauges) fams.push({ name, help: help ?? name, type: 'gauge', samples: [{ name, labels: [], value: toNumber(value) }] });
    for (const name of GAUGE_SETS) fams.push({ name, help: name, type: 'gauge', samples: [] });
    const now = this.now();
    for (const [name, m] of this.metrics) {
      const help = m.help;
      switch (m.kind) {
        case 'counter':
          fams.push({ name, help, type: 'counter', samples: [{ name, labels: [], value: m.counter }] });
          break;
        case 'counterSet':
          fams.push({ name, help, type: 'counter', samples: [...m.counters!].map(([key, n]) => ({ name, labels: [['key', key]], value: n })) });
          break;
        case 'basic':
        case 'advanced':
          fams.push({ name, help, type: 'summary', samples: summarySamples(name, [], m.summary!, now) });
          break;
        default:
          fams.push({ name, help, type: 'summary', samples: [...m.set!].flatMap(([key, s]) => summarySamples(name, [['key', key]], s, now)) });
      }
    }
    return [...fams, ...extra];
  }

  /** The Prometheus text exposition format 0.0.4. */
  exposition(gauges: readonly Gauge[], extra: readonly Family[] = []): string {
    let text = '';
    for (const f of this.families(gauges, extra)) {
      text += `# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${f.name} ${f.type}\n`;
      for (const s of f.samples) {
        // The Java client writes a comma after every label, the last one too.
        const labels = s.labels.length ? `{${s.labels.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}",`).join('')}}` : '';
        text += `${s.name}${labels} ${goDouble(s.value)}\n`;
      }
    }
    return text;
  }
}

export interface Sample {
  readonly name: string;
  readonly labels: readonly (readonly [string, string])[];
  readonly value: number;
}
export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'summary';
  readonly samples: readonly Sample[];
}

function summarySamples(name: string, labels: readonly (readonly [string, string])[], s: Summary, now: number): Sample[] {
  return [
    ...s.quantiles(now).map(([q, v]) => ({ name, labels: [...labels, ['quantile', javaDouble(q)] as const], value: v })),
    { name: `${name}_count`, labels, value: s.count },
    { name: `${name}_sum`, labels, value: s.sum },
  ];
}

const toNumber = (v: GaugeValue): number => (v === null ? 0 : v instanceof JDouble ? v.value : v);

/** The Java client's doubleToGoString: Java's Double.toString, with +Inf/-Inf. */
function goDouble(x: number): string {
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  return javaDouble(x);
}
