// Where a server's metrics are recorded, at the moment each thing happens: a proposal made and
// its commit (the leader's quorum-ack latency), ZAB's phases (elections, syncs, leadership), the
// messages that cross the peer links, each delivered txn (the digest log, bytes written by
// namespace) and each durable write and snapshot (the storage's observer). server.ts calls it; it
// decides nothing.
import { dataLength, type Txn, type TxnOp } from '../tree/index.ts';
import type { Message, ServerState as ZabState } from '../zab/types.ts';
import type { Metrics } from './metrics.ts';
import type { Storage } from './storage.ts';

/** ZooKeeper logs the digest after every 128th zxid, keeping the last 1024 (DataTree's digest log). */
const DIGEST_LOG_INTERVAL = 128;
const DIGEST_LOG_LIMIT = 1024;

/** PathUtils.getTopNamespace: the first component of a path. */
const topNamespace = (path: string): string | undefined => path.split('/')[1] || undefined;

export class ServerWatch {
  readonly digestLog: { zxid: number; digest: number }[] = [];
  private readonly startedAt: number;
  private phase: ZabState<unknown>['phase'] | null = null;
  private lookingSince: number | null = null;
  private leaderSince: number | null = null;
  private learnerSince: number | null = null;
  /** The leader's proposals not yet committed: when each was made (performance.now()). */
  private readonly proposedAt = new Map<number, number>();

  constructor(
    private readonly metrics: Metrics,
    private readonly now: () => number,
    private readonly myid: number,
  ) {
    this.startedAt = now();
  }

  get uptimeMs(): number {
    return this.now() - this.startedAt;
  }

  get leaderUptimeMs(): number | null {
    return this.leaderSince === null ? null : this.now() - this.leaderSince;
  }

  /** The start's recovery took `ms` and brought back `txns` logged txns; the storage reports its writes from now on. */
  recovered(ms: number, txns: number, storage: Storage): void {
    this.metrics.observe('dbinittime', Math.floor(ms));
    this.metrics.observe('startup_txns_loaded', txns);
    storage.observer = {
      appended: (writeMs, sizes, zxids) => {
        this.metrics.observe('fsynctime', Math.floor(writeMs));
        this.metrics.observe('zabkit_fsync_latency', writeMs);
        this.metrics.observe('sync_processor_batch_size', sizes.length);
        if (this.phase !== 'leading') return;
        for (const n of sizes) this.metrics.proposalSizes.add(n);
        // The leader's own ack is its durable write (ZooKeeper logs it under its own sid too).
        for (const z of zxids) this.acked(z, this.myid);
      },
      snapshotted: (snapMs) => this.metrics.observe('snapshottime', Math.floor(snapMs)),
    };
  }

  /** ZAB's phase or stage changed. */
  zabMoved(s: ZabState<unknown>): void {
    const now = this.now();
    if (s.phase !== this.phase) {
      if (s.phase === 'looking') {
        this.metrics.count('looking_count');
        this.lookingSince = now;
      } else if (this.lookingSince !== null) {
        this.metrics.observe('election_time', now - this.lookingSince);
        this.lookingSince = null;
      }
      this.leaderSince = s.phase === 'leading' ? now : null;
      this.learnerSince = s.phase === 'following' || s.phase === 'observing' ? now : null;
      if (s.phase !== 'leading') this.proposedAt.clear();
      this.phase = s.phase;
    }
    if (s.phase === 'leading') {
      // ZooKeeper's leader measures each learner's queue of packets; zabkit writes to a learner's socket at once: no queue to measure, its keys at zero.
      for (const sid of Object.keys(s.learners)) for (const n of ['learner_handler_qp_size', 'learner_handler_qp_time_ms']) this.metrics.ensureKey(n, sid);
    }
    if ((s.phase === 'following' || s.phase === 'observing') && s.stage === 'broadcast' && this.learnerSince !== null) {
      this.metrics.observe(s.phase === 'following' ? 'follower_sync_time' : 'observer_sync_time', now - this.learnerSince);
      this.learnerSince = null;
    }
  }

  /** The leader proposes `zxid`. */
  proposing(zxid: number): void {
    this.metrics.count('proposal_count');
    this.proposedAt.set(zxid, performance.now());
  }

  /** A txn was applied; `digest` is the tree's after it. On the leader a delivery is its proposal's commit. */
  delivered(txn: Txn, digest: number, leading: boolean): void {
    if (txn.zxid % DIGEST_LOG_INTERVAL === 0) {
      this.digestLog.push({ zxid: txn.zxid, digest });
      if (this.digestLog.length > DIGEST_LOG_LIMIT) this.digestLog.shift();
    }
    this.written(txn.op);
    if (!leading) return;
    this.metrics.count('commit_count');
    const at = this.proposedAt.get(txn.zxid);
    if (at === undefined) return;
    this.proposedAt.delete(txn.zxid);
    const ms = performance.now() - at;
    this.metrics.observe('quorum_ack_latency', Math.floor(ms));
    this.metrics.observe('zabkit_proposal_latency', ms);
  }

  /** DataTree's write stats: each create, delete and setData, its path's length plus the data's. */
  private written(op: TxnOp): void {
    if (op.type === 'multi') return op.ops.forEach((o) => this.written(o));
    if (op.type !== 'create' && op.type !== 'delete' && op.type !== 'setData') return;
    const ns = topNamespace(op.path);
    if (ns === undefined) return;
    const bytes = op.type === 'delete' ? 0 : dataLength(op.data);
    this.metrics.observeKey('write_per_namespace', ns, op.path.length + bytes);
  }

  /** A ZAB message goes to a peer: a leader's syncs (a TRUNC counts as a diff, as ZooKeeper's). */
  sent(msg: Message<unknown>): void {
    if (msg.type === 'DIFF' || msg.type === 'TRUNC') this.metrics.count('diff_count');
    else if (msg.type === 'SNAP') this.metrics.count('snap_count');
  }

  /** A ZAB message from a peer: what a learner counts, and on the leader each ACK's latency by its sender. */
  received(msg: Message<unknown>, from: number): void {
    if (msg.type === 'PROPOSAL') this.metrics.count('learner_proposal_received_count');
    else if (msg.type === 'COMMIT') this.metrics.count('learner_commit_received_count');
    else if (msg.type === 'ACK') this.acked(msg.zxid, from);
  }

  /** An ack of a proposal not yet committed: its latency, by the acking server (ZooKeeper's ack_latency). */
  private acked(zxid: number, sid: number): void {
    const at = this.proposedAt.get(zxid);
    if (at !== undefined) this.metrics.observeKey('ack_latency', String(sid), Math.floor(performance.now() - at));
  }
}
