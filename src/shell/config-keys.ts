// Every setting Apache ZooKeeper 3.8 reads from zoo.cfg, and the system properties deployments
// commonly pass it, each with what zabkit does about it. `zabkit server` looks each key and -D
// property up here, so none is dropped without a word, and README.md's "Operations" table is
// this table (test/shell/config-keys.test.ts keeps the two equal).
//
// How Apache reads them: QuorumPeerConfig.parseProperties handles its own keys (tickTime,
// server.N, metricsProvider.*, …) and turns every other key K into the system property
// zookeeper.K, which the server's parts read (so `snapCount=…` in zoo.cfg sets zookeeper.snapCount,
// and overrides a -Dzookeeper.snapCount). A few settings are read only as properties without that
// prefix (readonlymode.enabled, jute.maxbuffer, znode.container.*): zabkit also takes those in zoo.cfg.

/** supported: zabkit does it; warned: it does not (the note says what happens instead); n/a: a JVM or NIO internal. */
export type Support = 'supported' | 'warned' | 'n/a';

export interface KeyRow {
  /** The zoo.cfg key (`N` stands for a number, a trailing `*` for any rest); absent: a system property only. */
  readonly cfg?: string;
  /** The Java system property that sets it (-Dprop=value). */
  readonly prop?: string;
  readonly support: Support;
  /** supported: what it does in zabkit; warned: what happens instead; n/a: why it does not apply. */
  readonly note: string;
  /** supported: the zabkit setting (config.ts) it sets, when not its zoo.cfg key. */
  readonly setting?: string;
  /** warned: values that ask for what zabkit does anyway (no warning for those, an info line). */
  readonly ok?: readonly string[];
}

const sup = (cfg: string | undefined, prop: string | undefined, note: string, setting?: string): KeyRow => ({
  ...(cfg ? { cfg } : {}),
  ...(prop ? { prop } : {}),
  support: 'supported',
  note,
  ...(setting ? { setting } : {}),
});
const warned = (cfg: string | undefined, prop: string | undefined, note: string, ok?: readonly string[]): KeyRow => ({
  ...(cfg ? { cfg } : {}),
  ...(prop ? { prop } : {}),
  support: 'warned',
  note,
  ...(ok ? { ok } : {}),
});
const na = (cfg: string | undefined, prop: string | undefined, note: string): KeyRow => ({ ...(cfg ? { cfg } : {}), ...(prop ? { prop } : {}), support: 'n/a', note });
/** A key that Apache passes on as zookeeper.<key>. */
const zk = (k: string) => `zookeeper.${k}`;

const TLS_STORE = ['keyStore', 'trustStore'] as const;
/** ssl.* (client port) or ssl.quorum.* (peers): the settings config.ts parses, and the rest. */
function tlsRows(p: 'ssl.' | 'ssl.quorum.', what: string): KeyRow[] {
  const rows: KeyRow[] = [];
  for (const s of TLS_STORE) {
    const store = s === 'keyStore' ? 'key store (this server\'s certificate and key)' : 'trust store (the CAs a peer\'s certificate must chain to)';
    rows.push(
      sup(`${p}${s}.location`, zk(`${p}${s}.location`), `${what}: the ${store}, PEM or PKCS12`),
      sup(`${p}${s}.password`, zk(`${p}${s}.password`), `${what}: the ${s}'s password`),
      sup(`${p}${s}.passwordPath`, zk(`${p}${s}.passwordPath`), `${what}: a file holding the ${s}'s password`),
      sup(`${p}${s}.type`, zk(`${p}${s}.type`), `${what}: PEM or PKCS12 (else from the file's extension); JKS and BCFKS are refused`),
    );
  }
  rows.push(
    sup(`${p}clientAuth`, zk(`${p}clientAuth`), `${what}: need (default), want or none`),
    sup(`${p}protocol`, zk(`${p}protocol`), `${what}: TLSv1.2 by default`),
    sup(`${p}enabledProtocols`, zk(`${p}enabledProtocols`), `${what}: the protocol versions allowed`),
    sup(`${p}ciphersuites`, zk(`${p}ciphersuites`), `${what}: the cipher suites allowed`),
    sup(`${p}hostnameVerification`, zk(`${p}hostnameVerification`), `${what}: check the peer's name against its certificate`),
    sup(`${p}handshakeDetectionTimeoutMillis`, zk(`${p}handshakeDetectionTimeoutMillis`), `${what}: how long to wait for a first byte that tells TLS from plain`),
    na(`${p}context.supplier.class`, zk(`${p}context.supplier.class`), 'names a Java class that builds the TLS context'),
    warned(`${p}crl`, zk(`${p}crl`), 'certificates are not checked against revocation lists', ['false']),
    warned(`${p}ocsp`, zk(`${p}ocsp`), 'certificates are not checked by OCSP', ['false']),
    warned(`${p}allowReverseDnsLookup`, zk(`${p}allowReverseDnsLookup`), 'a peer\'s name is never looked up from its address', ['false']),
  );
  return rows;
}

const CONNECTION_THROTTLE = 'connections are not throttled: each is accepted up to maxClientCnxns per address';
const REQUEST_THROTTLE = 'requests are not throttled';
const KERBEROS = 'Kerberos (GSSAPI) is not implemented: SASL is DIGEST-MD5 only';
const PEER_SASL = 'peers do not authenticate each other by SASL (sslQuorum with client certificates does)';
const WATCH_MANAGER = 'an internal of the JVM server\'s watch manager';
const JVM_LOGGING = 'the JVM server\'s logging and JMX: zabkit logs JSON lines to stderr (--log-level)';
const JAVA_CLIENT = 'a setting of the Java client, not of the server';
const JVM = 'a setting of the Java virtual machine';

export const KEY_TABLE: readonly KeyRow[] = [
  // ---- QuorumPeerConfig's own keys
  sup('tickTime', undefined, 'the tick in ms (2000 by default); timeouts are counted in ticks'),
  sup('initLimit', undefined, 'ticks for discovery and sync with a leader'),
  sup('syncLimit', undefined, 'ticks a learner may go unheard before it is dropped, and a leader without a quorum steps down'),
  sup('dataDir', undefined, 'snapshots, epochs and myid (and the txn log without dataLogDir)'),
  sup('dataLogDir', undefined, 'the txn log'),
  sup('clientPort', undefined, 'the client port (2181 by default; 0: any free port)'),
  sup('clientPortAddress', undefined, 'the address the client port listens on (all by default)'),
  sup('secureClientPort', undefined, 'a TLS client port, with the ssl.* settings'),
  sup('secureClientPortAddress', undefined, 'the address the TLS client port listens on'),
  sup('maxClientCnxns', undefined, 'connections per client address (60 by default; 0: no limit)'),
  sup('minSessionTimeout', undefined, 'the least session timeout granted (2 ticks by default)'),
  sup('maxSessionTimeout', undefined, 'the greatest session timeout granted (20 ticks by default)'),
  sup('electionAlg', undefined, 'only 3 (fast leader election), as 3.8 accepts; another value is refused'),
  sup('peerType', undefined, 'checked; the role comes from this server\'s server.N line, as Apache\'s does when the two differ'),
  sup('server.N', undefined, 'a member: host:quorumPort:electionPort[:participant|observer][;[host:]clientPort]'),
  sup('dynamicConfigFile', undefined, 'its server.N lines are read as if they were in zoo.cfg; a reconfig is kept in /zookeeper/config, not written back'),
  sup('reconfigEnabled', undefined, 'reconfig adds and removes observers; a change of voters answers Unimplemented'),
  sup('autopurge.snapRetainCount', undefined, 'snapshots (and their logs) kept by a purge (at least 3)'),
  sup('autopurge.purgeInterval', undefined, 'hours between purges; zabkit purges after each snapshot when it is above 0'),
  sup('sslQuorum', undefined, 'TLS between peers, with the ssl.quorum.* settings'),
  sup('metricsProvider.className', undefined, 'naming the Prometheus provider turns on the /metrics endpoint'),
  sup('metricsProvider.httpHost', undefined, 'the address of the /metrics endpoint'),
  sup('metricsProvider.httpPort', undefined, 'the port of the /metrics endpoint (7000 by default)'),
  sup('metricsProvider.exportJvmInfo', undefined, 'zabkit exports the Node.js process\'s figures instead of the JVM\'s'),
  na('metricsProvider.numWorkerThreads', undefined, 'threads of the JVM\'s Prometheus servlet'),
  na('metricsProvider.maxQueueSize', undefined, 'the queue of the JVM\'s Prometheus servlet'),
  na('metricsProvider.workerShutdownTimeoutMs', undefined, 'threads of the JVM\'s Prometheus servlet'),
  warned('localSessionsEnabled', undefined, 'every session is global (local sessions are not modelled)', ['false']),
  warned('localSessionsUpgradingEnabled', undefined, 'every session is global (local sessions are not modelled)', ['false']),
  warned('observerMasterPort', undefined, 'not opened: observers sync from the leader'),
  warned('clientPortListenBacklog', undefined, 'the client port uses Node\'s default listen backlog (511)'),
  warned('connectToLearnerMasterLimit', undefined, 'learners get initLimit ticks to connect'),
  warned('quorumListenOnAllIPs', undefined, 'peers listen on their server.N address only', ['false']),
  warned('syncEnabled', zk('observer.syncEnabled'), 'observers always log and snapshot what they receive', ['true']),
  warned('standaloneEnabled', undefined, 'a server alone in its config always runs standalone (srvr says so)', ['true']),
  warned('portUnification', undefined, 'quorum ports speak TLS or plain as sslQuorum says, never both'),
  warned('sslQuorumReloadCertFiles', undefined, 'certificates are read at start: restart to change them', ['false']),
  warned('group.N', undefined, 'hierarchical quorums are not implemented: a quorum is a majority of the voters'),
  warned('weight.N', undefined, 'hierarchical quorums are not implemented: every voter weighs 1'),
  warned('quorum.auth.enableSasl', undefined, PEER_SASL, ['false']),
  warned('quorum.auth.serverRequireSasl', undefined, PEER_SASL, ['false']),
  warned('quorum.auth.learnerRequireSasl', undefined, PEER_SASL, ['false']),
  warned('quorum.auth.learner.saslLoginContext', undefined, PEER_SASL),
  warned('quorum.auth.server.saslLoginContext', undefined, PEER_SASL),
  warned('quorum.auth.kerberos.servicePrincipal', undefined, PEER_SASL),
  na('quorum.cnxn.threads.size', undefined, 'a JVM thread pool for peer connections; zabkit\'s peers share one event loop'),
  na('jvm.pause.monitor', undefined, 'watches for pauses of the JVM (garbage collection)'),
  na('jvm.pause.sleep.time.ms', undefined, 'watches for pauses of the JVM (garbage collection)'),
  na('jvm.pause.warn-threshold.ms', undefined, 'watches for pauses of the JVM (garbage collection)'),
  na('jvm.pause.info-threshold.ms', undefined, 'watches for pauses of the JVM (garbage collection)'),
  warned('multiAddress.enabled', zk('multiAddress.enabled'), 'a server.N line has one address per port', ['false']),
  warned('multiAddress.reachabilityCheckEnabled', zk('multiAddress.reachabilityCheckEnabled'), 'a server.N line has one address per port'),
  warned('multiAddress.reachabilityCheckTimeoutMs', zk('multiAddress.reachabilityCheckTimeoutMs'), 'a server.N line has one address per port'),
  warned('oraclePath', undefined, 'no quorum oracle: a 2-server ensemble needs both servers'),

  // ---- keys Apache passes on as zookeeper.<key>
  sup('snapCount', zk('snapCount'), 'txns between snapshots (100000 by default)'),
  sup('4lw.commands.whitelist', zk('4lw.commands.whitelist'), 'the four-letter words answered; zabkit\'s default is all (Apache\'s: srvr)'),
  sup('enforceQuota', zk('enforceQuota'), 'a write over a hard quota fails with QuotaExceeded'),
  sup('extendedTypesEnabled', zk('extendedTypesEnabled'), 'TTL nodes (and server ids up to 254)', 'zookeeper.extendedTypesEnabled'),
  sup('DigestAuthenticationProvider.superDigest', zk('DigestAuthenticationProvider.superDigest'), 'the super user\'s digest (user:base64-sha1)', 'zookeeper.DigestAuthenticationProvider.superDigest'),
  sup('authProvider.*', zk('authProvider.*'), 'SASLAuthenticationProvider and X509AuthenticationProvider make the sasl and x509 schemes known; digest, ip and world are built in; other classes are warned'),
  sup('client.portUnification', zk('client.portUnification'), 'TLS and plain clients on the client port'),
  sup('admin.enableServer', zk('admin.enableServer'), 'the AdminServer (on by default, as Apache\'s)'),
  sup('admin.serverAddress', zk('admin.serverAddress'), 'the AdminServer\'s address'),
  sup('admin.serverPort', zk('admin.serverPort'), 'the AdminServer\'s port (8080 by default)'),
  sup('admin.commandURL', zk('admin.commandURL'), 'the AdminServer\'s path for commands (/commands)'),
  sup('admin.idleTimeout', zk('admin.idleTimeout'), 'ms an idle AdminServer connection is kept'),
  warned('admin.forceHttps', zk('admin.forceHttps'), 'the AdminServer speaks plain HTTP', ['false']),
  warned('admin.portUnification', zk('admin.portUnification'), 'the AdminServer speaks plain HTTP', ['false']),
  na('admin.httpVersion', zk('admin.httpVersion'), 'the HTTP version of Jetty, the JVM\'s web server'),
  ...tlsRows('ssl.', 'client TLS'),
  ...tlsRows('ssl.quorum.', 'peer TLS'),
  warned('ssl.authProvider', zk('ssl.authProvider'), 'a TLS client\'s certificate goes to the x509 scheme; no other provider is loaded', ['x509']),
  warned('client.certReload', zk('client.certReload'), 'certificates are read at start: restart to change them', ['false']),
  na('fips-mode', zk('fips-mode'), 'a setting of Java\'s TLS provider'),
  warned('emulate353TTLNodes', zk('emulate353TTLNodes'), 'TTL node ids follow 3.6 and later', ['false']),
  warned('DigestAuthenticationProvider.enabled', zk('DigestAuthenticationProvider.enabled'), 'the digest scheme is always on', ['true']),
  warned('DigestAuthenticationProvider.digestAlg', zk('DigestAuthenticationProvider.digestAlg'), 'digests are SHA1, the default', ['SHA1', 'SHA-1']),
  warned('X509AuthenticationProvider.superUser', zk('X509AuthenticationProvider.superUser'), 'no x509 super user: super is the superDigest user'),
  warned('superUser', zk('superUser'), 'no SASL super user: super is the superDigest user'),
  warned('superUser.*', zk('superUser.*'), 'no SASL super user: super is the superDigest user'),
  warned('ensembleAuthName', zk('ensembleAuthName'), 'clients are not asked for the ensemble\'s name'),
  warned('sessionRequireClientSASLAuth', zk('sessionRequireClientSASLAuth'), 'sessions without SASL are allowed', ['false']),
  warned('enforce.auth.enabled', zk('enforce.auth.enabled'), 'sessions without authentication are allowed', ['false']),
  warned('enforce.auth.schemes', zk('enforce.auth.schemes'), 'sessions without authentication are allowed'),
  warned('kerberos.removeHostFromPrincipal', zk('kerberos.removeHostFromPrincipal'), KERBEROS),
  warned('kerberos.removeRealmFromPrincipal', zk('kerberos.removeRealmFromPrincipal'), KERBEROS),
  warned('kerberos.canonicalizeHostNames', zk('kerberos.canonicalizeHostNames'), KERBEROS),
  warned('globalOutstandingLimit', zk('globalOutstandingLimit'), 'no limit on the requests outstanding in the server'),
  na('preAllocSize', zk('preAllocSize'), 'preallocation of the JVM\'s txn log files; zabkit appends'),
  warned('commitLogCount', zk('commitLogCount'), 'the leader syncs a learner from its own history (DIFF, TRUNC or SNAP by the spec\'s SYNC rules)'),
  warned('snapSizeLimitInKb', zk('snapSizeLimitInKb'), 'snapshots are taken every snapCount txns, whatever their size'),
  warned('txnLogSizeLimitInKb', zk('txnLogSizeLimitInKb'), 'the txn log rolls at each snapshot only'),
  warned('maxCnxns', zk('maxCnxns'), 'no limit on all connections together; maxClientCnxns limits each address'),
  warned('fsync.warningthresholdms', zk('fsync.warningthresholdms'), 'slow fsyncs are not logged'),
  na('maxResponseCacheSize', zk('maxResponseCacheSize'), 'a cache of the JVM server\'s serialized replies'),
  na('maxGetChildrenResponseCacheSize', zk('maxGetChildrenResponseCacheSize'), 'a cache of the JVM server\'s serialized replies'),
  na('watchManagerName', zk('watchManagerName'), WATCH_MANAGER),
  na('watcherCleanThreadsNum', zk('watcherCleanThreadsNum'), WATCH_MANAGER),
  na('watcherCleanThreshold', zk('watcherCleanThreshold'), WATCH_MANAGER),
  na('watcherCleanIntervalInSeconds', zk('watcherCleanIntervalInSeconds'), WATCH_MANAGER),
  na('maxInProcessingDeadWatchers', zk('maxInProcessingDeadWatchers'), WATCH_MANAGER),
  na('bitHashCacheSize', zk('bitHashCacheSize'), WATCH_MANAGER),
  warned('fastleader.minNotificationInterval', zk('fastleader.minNotificationInterval'), 'election notifications are resent on zabkit\'s own timers'),
  warned('fastleader.maxNotificationInterval', zk('fastleader.maxNotificationInterval'), 'election notifications are resent on zabkit\'s own timers'),
  warned('connectionMaxTokens', zk('connection_throttle_tokens'), CONNECTION_THROTTLE),
  warned('connectionTokenFillTime', zk('connection_throttle_fill_time'), CONNECTION_THROTTLE),
  warned('connectionTokenFillCount', zk('connection_throttle_fill_count'), CONNECTION_THROTTLE),
  warned('connectionFreezeTime', zk('connection_throttle_freeze_time'), CONNECTION_THROTTLE),
  warned('connectionDropIncrease', zk('connection_throttle_drop_increase'), CONNECTION_THROTTLE),
  warned('connectionDropDecrease', zk('connection_throttle_drop_decrease'), CONNECTION_THROTTLE),
  warned('connectionDecreaseRatio', zk('connection_throttle_decrease_ratio'), CONNECTION_THROTTLE),
  warned(undefined, zk('connection_throttle_weight_enabled'), CONNECTION_THROTTLE, ['false']),
  warned(undefined, zk('connection_throttle_global_session_weight'), CONNECTION_THROTTLE),
  warned(undefined, zk('connection_throttle_local_session_weight'), CONNECTION_THROTTLE),
  warned(undefined, zk('connection_throttle_renew_session_weight'), CONNECTION_THROTTLE),
  na('serverCnxnFactory', zk('serverCnxnFactory'), 'NIO or Netty: zabkit has one client port, on Node\'s sockets'),
  na('flushDelay', zk('flushDelay'), 'batching of the JVM\'s log thread; zabkit group-commits the appends of each event-loop turn'),
  na('maxWriteQueuePollTime', zk('maxWriteQueuePollTime'), 'batching of the JVM\'s log thread; zabkit group-commits the appends of each event-loop turn'),
  na('maxBatchSize', zk('maxBatchSize'), 'batching of the JVM\'s log thread; zabkit group-commits the appends of each event-loop turn'),
  warned('requestThrottleLimit', zk('request_throttle_max_requests'), REQUEST_THROTTLE),
  warned('requestThrottleStallTime', zk('request_throttle_stall_time'), REQUEST_THROTTLE),
  warned('requestThrottleDropStale', zk('request_throttle_drop_stale'), REQUEST_THROTTLE),
  warned('requestStaleLatencyCheck', zk('request_stale_latency_check'), REQUEST_THROTTLE),
  warned('requestStaleConnectionCheck', zk('request_stale_connection_check'), REQUEST_THROTTLE),
  warned(undefined, zk('request_throttler.shutdownTimeout'), REQUEST_THROTTLE),
  warned('throttledOpWaitTime', zk('throttled_op_wait_time'), REQUEST_THROTTLE),
  na('advancedFlowControlEnabled', zk('netty.advancedFlowControl.enabled'), 'Netty, which zabkit does not use'),
  na(undefined, zk('netty.server.outstandingHandshake.limit'), 'Netty, which zabkit does not use'),
  na('netty.server.earlyDropSecureConnectionHandshakes', zk('netty.server.earlyDropSecureConnectionHandshakes'), 'Netty, which zabkit does not use'),
  warned('enableEagerACLCheck', zk('enableEagerACLCheck'), 'ACLs are checked when the leader prepares a write', ['false']),
  warned('maxConcurrentSnapSyncs', zk('leader.maxConcurrentSnapSyncs'), 'no limit on the learners syncing at once'),
  warned('maxConcurrentDiffSyncs', zk('leader.maxConcurrentDiffSyncs'), 'no limit on the learners syncing at once'),
  warned('digest.enabled', zk('digest.enabled'), 'digests are always on (TREE-27)', ['true']),
  warned('snapshot.compression.method', zk('snapshot.compression.method'), 'snapshots are written uncompressed', ['']),
  warned('snapshot.trust.empty', zk('snapshot.trust.empty'), 'a txn log with no snapshot must start at the epoch\'s first txn, or the server refuses to start (PERSIST-11)', ['false']),
  warned('audit.enable', zk('audit.enable'), 'no audit log', ['false']),
  warned('audit.impl.class', zk('audit.impl.class'), 'no audit log'),
  warned('largeRequestMaxBytes', zk('largeRequestMaxBytes'), 'no limit on the bytes of requests in flight; a frame over jute.maxbuffer closes its connection'),
  warned('largeRequestThreshold', zk('largeRequestThreshold'), 'no limit on the bytes of requests in flight; a frame over jute.maxbuffer closes its connection'),
  na('learner.closeSocketAsync', zk('learner.closeSocketAsync'), 'a thread of the JVM server; Node\'s sockets never block'),
  na('leader.closeSocketAsync', zk('leader.closeSocketAsync'), 'a thread of the JVM server; Node\'s sockets never block'),
  na('learner.asyncSending', zk('learner.asyncSending'), 'a thread of the JVM server; Node\'s sockets never block'),
  na('forward_learner_requests_to_commit_processor_disabled', zk('forward_learner_requests_to_commit_processor_disabled'), 'the JVM server\'s request pipeline'),
  warned('maxTimeToWaitForEpoch', zk('leader.maxTimeToWaitForEpoch'), 'a leader waits initLimit ticks for a quorum\'s epochs'),
  warned('leaderServes', zk('leaderServes'), 'the leader always serves clients', ['yes', 'true']),
  warned('cnxTimeout', zk('cnxTimeout'), 'peer dials are retried with a backoff of 50 ms to 1 s'),
  warned('quorumCnxnTimeoutMs', zk('quorumCnxnTimeoutMs'), 'peer dials are retried with a backoff of 50 ms to 1 s'),
  warned('tcpKeepAlive', zk('tcpKeepAlive'), 'no TCP keep-alive on peer sockets: syncLimit finds a dead peer', ['false']),
  warned('clientTcpKeepAlive', zk('clientTcpKeepAlive'), 'no TCP keep-alive on client sockets: the session timeout finds a dead client', ['false']),
  warned('electionPortBindRetry', zk('electionPortBindRetry'), 'a taken election port stops the server at start'),
  warned('observer.reconnectDelayMs', zk('observer.reconnectDelayMs'), 'observers reconnect on zabkit\'s own timers'),
  warned('observer.election.DelayMs', zk('observer.election.DelayMs'), 'observers reconnect on zabkit\'s own timers'),
  warned('skipACL', zk('skipACL'), 'ACLs are always checked', ['no', 'false']),
  warned('forceSync', zk('forceSync'), 'the txn log is always written durably (O_DSYNC)', ['yes', 'true']),
  warned('jute.maxbuffer.extrasize', zk('jute.maxbuffer.extrasize'), 'no allowance above jute.maxbuffer'),
  warned('closeSessionTxn.enabled', zk('closeSessionTxn.enabled'), 'closeSession txns are zabkit\'s own'),
  warned(undefined, zk('datadir.autocreate'), 'a missing data directory is created', ['true']),
  warned(undefined, zk('db.autocreate'), 'a server with no data joins as a voter', ['true']),
  warned(undefined, zk('messageTracker.BufferSize'), 'no message tracker: --trace records every peer message'),
  warned(undefined, zk('messageTracker.Enabled'), 'no message tracker: --trace records every peer message', ['false']),
  warned(undefined, zk('pathStats.*'), 'no per-path statistics'),
  warned(undefined, zk('sasl.serverconfig'), 'the JAAS file\'s section is always Server', ['Server']),
  warned(undefined, zk('allowSaslFailedClients'), 'a failed SASL exchange closes the connection', ['false']),
  warned(undefined, zk('letAnySaslUserDoX'), 'ACLs apply to SASL users as to any other'),
  warned(undefined, zk('forceSnapshotSync'), 'the leader syncs a learner from its own history (DIFF, TRUNC or SNAP by the spec\'s SYNC rules)', ['false']),
  warned(undefined, zk('snapshotSizeFactor'), 'the leader syncs a learner from its own history (DIFF, TRUNC or SNAP by the spec\'s SYNC rules)'),
  warned(undefined, zk('leaderConnectDelayDuringRetryMs'), 'learners redial with a backoff of 50 ms to 1 s'),
  warned(undefined, zk('observerMaster.sizeLimit'), 'not opened: observers sync from the leader'),
  warned(undefined, zk('server.principal'), KERBEROS),
  warned(undefined, zk('server.realm'), KERBEROS),
  warned(undefined, zk('kinit'), KERBEROS),
  warned(undefined, zk('requireKerberosConfig'), KERBEROS),
  warned(undefined, zk('security.auth_to_local'), KERBEROS),
  warned(undefined, 'java.security.krb5.conf', KERBEROS),
  warned(undefined, 'follower.nodelay', 'peer sockets always set TCP_NODELAY', ['true']),
  warned(undefined, 'leader.nodelay', 'peer sockets always set TCP_NODELAY', ['true']),
  na(undefined, zk('nio.*'), 'threads and buffers of the JVM\'s NIO client port'),
  na(undefined, zk('commitProcessor.*'), 'threads of the JVM server\'s commit processor'),
  na(undefined, zk('follower.skipLearnerRequestToNextProcessor'), 'the JVM server\'s request pipeline'),
  na(undefined, zk('intBufferStartingSizeBytes'), 'a JVM buffer size'),
  na(undefined, zk('testingonly.initialZxid'), 'for Apache\'s own tests'),
  na(undefined, zk('controllerPort'), 'for Apache\'s own tests'),

  // ---- read only as system properties in Apache; zabkit also takes them in zoo.cfg
  sup(undefined, 'readonlymode.enabled', 'a member without a quorum serves read-only sessions'),
  sup(undefined, 'jute.maxbuffer', 'the largest request frame, in bytes (1 MB by default)'),
  sup(undefined, 'znode.container.checkIntervalMs', 'ms between the leader\'s sweeps for empty containers and expired TTL nodes'),
  sup(undefined, 'znode.container.maxPerMinute', 'containers and TTL nodes deleted per minute at most'),
  sup(undefined, 'znode.container.maxNeverUsedIntervalMs', 'ms after which a container that never had a child is deleted (0: never)'),
  sup(undefined, 'java.security.auth.login.config', 'the JAAS file: its Server section\'s DIGEST-MD5 users'),
  na(undefined, zk('log.dir'), JVM_LOGGING),
  na(undefined, zk('log.file'), JVM_LOGGING),
  na(undefined, zk('root.logger'), JVM_LOGGING),
  na(undefined, zk('console.threshold'), JVM_LOGGING),
  na(undefined, zk('log.threshold'), JVM_LOGGING),
  na(undefined, zk('jmx.log4j.disable'), JVM_LOGGING),
  na(undefined, zk('jmx.log4j.mbean'), JVM_LOGGING),
  na(undefined, 'log4j.*', JVM_LOGGING),
  na(undefined, 'log4j2.*', JVM_LOGGING),
  na(undefined, 'logback.*', JVM_LOGGING),
  na(undefined, 'com.sun.management.*', JVM_LOGGING),
  na(undefined, zk('clientCnxnSocket'), JAVA_CLIENT),
  na(undefined, zk('client.secure'), JAVA_CLIENT),
  na(undefined, zk('sasl.client'), JAVA_CLIENT),
  na(undefined, zk('sasl.clientconfig'), JAVA_CLIENT),
  na(undefined, zk('sasl.client.username'), JAVA_CLIENT),
  na(undefined, zk('sasl.client.canonicalize.hostname'), JAVA_CLIENT),
  na(undefined, zk('disableAutoWatchReset'), JAVA_CLIENT),
  na(undefined, zk('request.timeout'), JAVA_CLIENT),
  na(undefined, 'java.*', JVM),
  na(undefined, 'javax.*', JVM),
  na(undefined, 'jdk.*', JVM),
  na(undefined, 'sun.*', JVM),
  na(undefined, 'file.*', JVM),
  na(undefined, 'user.*', JVM),
  na(undefined, 'networkaddress.*', JVM),

  // ---- zabkit's own
  sup('zabkit.trace', undefined, 'zabkit\'s own: trace every reducer step to this file (--trace)'),
  sup('zabkit.compat', undefined, 'zabkit\'s own: the 3.8 release whose answers to follow (--compat)'),
  sup('logLevel', undefined, 'zabkit\'s own: debug, info, warn or error (--log-level)'),
];

function patternOf(key: string): RegExp {
  const parts = key.split('.').map((p, i, all) => (p === 'N' ? '\\d+' : p === '*' && i === all.length - 1 ? '.+' : p.replace(/[\\^$+?()[\]{}|*]/g, '\\$&')));
  return new RegExp(`^${parts.join('\\.')}$`);
}

const isPattern = (k: string) => /(^|\.)(N|\*)(\.|$)/.test(k);

function index(field: 'cfg' | 'prop'): (key: string) => KeyRow | undefined {
  const exact = new Map<string, KeyRow>();
  const patterns: [RegExp, KeyRow][] = [];
  for (const row of KEY_TABLE) {
    const k = row[field];
    if (k === undefined) continue;
    if (isPattern(k)) patterns.push([patternOf(k), row]);
    else exact.set(k, row);
  }
  return (key) => exact.get(key) ?? patterns.find(([re]) => re.test(key))?.[1];
}

/** The row of a zoo.cfg key. */
export const cfgRow = index('cfg');
/** The row of a -D system property. */
export const propRow = index('prop');

/**
 * Apache's zoo.cfg key sets this row's property (zookeeper.<key>, after the -D ones are read), so
 * the zoo.cfg key wins over the -D property; for the others the property is the only way in Apache.
 */
export const cfgWinsOverProp = (row: KeyRow): boolean => row.cfg !== undefined && row.prop === zk(row.cfg);

/** The zabkit setting (config.ts's key) a supported row sets. */
export const settingOf = (row: KeyRow): string => row.setting ?? row.cfg ?? row.prop!;

/** README.md's table of every key: one line per row, generated from KEY_TABLE. */
export function keyTableMarkdown(): string {
  const cell = (s: string | undefined) => (s === undefined ? '—' : `\`${s}\``);
  const support = { supported: 'supported', warned: 'warned', 'n/a': 'not applicable' } as const;
  return [
    '| zoo.cfg key | system property | zabkit | what zabkit does |',
    '|---|---|---|---|',
    ...KEY_TABLE.map((r) => `| ${cell(r.cfg)} | ${cell(r.prop)} | ${support[r.support]} | ${r.note.replace(/\|/g, '\\|')} |`),
  ].join('\n');
}
