// zoo.cfg keys and -D properties: every key is looked up in src/shell/config-keys.ts, the ones
// zabkit does not implement are reported one per key with where they are, SERVER_JVMFLAGS and
// JVMFLAGS set zabkit's settings with Apache's precedence, and README.md's table is the code's.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadServerConfig, SETTING_NAMES } from '../../src/shell/config.ts';
import { cfgRow, KEY_TABLE, keyTableMarkdown, propRow, settingOf } from '../../src/shell/config-keys.ts';
import { jvmFlags, shellWords } from '../../src/shell/jvm-flags.ts';
import { launch } from '../../conformance/launch.ts';

const dir = mkdtempSync(join(tmpdir(), 'zabkit-config-keys-'));
function cfg(name: string, lines: readonly string[]): string {
  const file = join(dir, name);
  writeFileSync(file, [`dataDir=${join(dir, 'data')}`, ...lines, ''].join('\n'));
  return file;
}

/** The keys QuorumPeerConfig.parseProperties (3.8) handles itself, before passing the rest on as zookeeper.<key>. */
const PARSED_BY_APACHE = [
  'dataDir', 'dataLogDir', 'clientPort', 'localSessionsEnabled', 'localSessionsUpgradingEnabled', 'clientPortAddress',
  'secureClientPort', 'secureClientPortAddress', 'observerMasterPort', 'clientPortListenBacklog', 'tickTime', 'maxClientCnxns',
  'minSessionTimeout', 'maxSessionTimeout', 'initLimit', 'syncLimit', 'connectToLearnerMasterLimit', 'electionAlg',
  'quorumListenOnAllIPs', 'peerType', 'syncEnabled', 'dynamicConfigFile', 'autopurge.snapRetainCount', 'autopurge.purgeInterval',
  'standaloneEnabled', 'reconfigEnabled', 'sslQuorum', 'portUnification', 'sslQuorumReloadCertFiles', 'server.1', 'group.1', 'weight.1',
  'quorum.auth.enableSasl', 'quorum.auth.serverRequireSasl', 'quorum.auth.learnerRequireSasl', 'quorum.auth.learner.saslLoginContext',
  'quorum.auth.server.saslLoginContext', 'quorum.auth.kerberos.servicePrincipal', 'quorum.cnxn.threads.size', 'jvm.pause.info-threshold.ms',
  'jvm.pause.warn-threshold.ms', 'jvm.pause.sleep.time.ms', 'jvm.pause.monitor', 'metricsProvider.className', 'metricsProvider.httpPort',
  'multiAddress.enabled', 'multiAddress.reachabilityCheckTimeoutMs', 'multiAddress.reachabilityCheckEnabled', 'oraclePath',
];

describe('the table of zoo.cfg keys', () => {
  it('has a row for every key Apache parses itself, no key twice, and a zabkit setting behind every supported row', () => {
    for (const k of PARSED_BY_APACHE) expect(cfgRow(k), k).toBeDefined();
    const cfgs = KEY_TABLE.flatMap((r) => (r.cfg ? [r.cfg] : []));
    const props = KEY_TABLE.flatMap((r) => (r.prop ? [r.prop] : []));
    expect(cfgs.length).toBe(new Set(cfgs).size);
    expect(props.length).toBe(new Set(props).size);
    for (const r of KEY_TABLE.filter((x) => x.support === 'supported' && !/(N|\*)$/.test(x.cfg ?? x.prop!))) expect(SETTING_NAMES.has(settingOf(r)), settingOf(r)).toBe(true);
    // …and every setting of config.ts has its row (a setting added without one fails here).
    const reachable = new Set(KEY_TABLE.filter((r) => r.support === 'supported').flatMap((r) => [settingOf(r), r.prop ?? '']));
    for (const name of SETTING_NAMES) expect(reachable.has(name), `${name} has no row in config-keys.ts`).toBe(true);
    for (const r of KEY_TABLE) expect(r.note.length, r.cfg ?? r.prop).toBeGreaterThan(10);
    // A -D property finds its row by name and by pattern; an exact row beats a pattern.
    expect(propRow('zookeeper.ssl.keyStore.location')?.cfg).toBe('ssl.keyStore.location');
    expect(propRow('zookeeper.authProvider.sasl')?.support).toBe('supported');
    expect(propRow('java.security.auth.login.config')?.support).toBe('supported');
    expect(propRow('java.awt.headless')?.support).toBe('n/a');
  });

  // After a change to the table: node --import tsx -e "import('./src/shell/config-keys.ts').then((m) => console.log(m.keyTableMarkdown()))"
  it('is the table README.md shows (regenerate: keyTableMarkdown() of src/shell/config-keys.ts)', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const table = /<!-- zoo\.cfg keys:[^\n]*-->\n([\s\S]*?)\n<!-- end of zoo\.cfg keys -->/.exec(readme)?.[1];
    expect(table).toBe(keyTableMarkdown());
    expect(readme.indexOf('## Operations')).toBeLessThan(readme.indexOf('## Conformance: traces, replay, differential runs'));
  });
});

describe('zoo.cfg keys zabkit does not implement', () => {
  it('reports each, once, with its file and line: warned, warned with a value zabkit follows anyway, not applicable, unknown, a provider class', () => {
    const file = cfg('report.cfg', [
      'tickTime=2000',
      'quorumListenOnAllIPs=true',
      'syncEnabled=true',
      'serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory',
      'frobnicate=1',
      'authProvider.2=com.example.Custom',
      'snapCount=10',
    ]);
    const { config, notes } = loadServerConfig(['--config', file], {});
    expect(config.snapCount).toBe(10);
    expect(notes.map((n) => [n.level, n.where, n.key])).toEqual([
      ['warn', `${file}:3`, 'quorumListenOnAllIPs'],
      ['info', `${file}:4`, 'syncEnabled'],
      ['info', `${file}:5`, 'serverCnxnFactory'],
      ['warn', `${file}:6`, 'frobnicate'],
      ['warn', `${file}:7`, 'authProvider.2'],
    ]);
    expect(notes[0]!.msg).toBe(`${file}:3: quorumListenOnAllIPs: not implemented by zabkit, ignored: peers listen on their server.N address only`);
    expect(notes[3]!.msg).toContain('unknown to ZooKeeper 3.8 and zabkit, ignored (Apache would set it as the system property zookeeper.frobnicate)');
  });

  it('reads dynamicConfigFile\'s server lines; refuses a bad electionAlg or peerType with its line', () => {
    const dyn = join(dir, 'zoo.cfg.dynamic');
    writeFileSync(dyn, 'server.1=127.0.0.1:3001:3002;127.0.0.1:3000\nserver.2=127.0.0.1:3011:3012;127.0.0.1:3010\nversion=100000000\n');
    const { config, notes } = loadServerConfig(['--config', cfg('dyn.cfg', [`dynamicConfigFile=${dyn}`]), '--myid', '2'], {});
    expect(config.servers.map((s) => s.id)).toEqual([1, 2]);
    expect(notes).toEqual([]);
    expect(() => loadServerConfig(['--config', cfg('alg.cfg', ['electionAlg=1'])], {})).toThrow(/alg\.cfg:2: electionAlg=1: only 3/);
    expect(() => loadServerConfig(['--config', cfg('peer.cfg', ['peerType=leader'])], {})).toThrow(/peer\.cfg:2: peerType=leader/);
  });
});

describe('SERVER_JVMFLAGS and JVMFLAGS', () => {
  it('splits and unquotes as a shell; -D properties in order, the later of two winning, other flags listed', () => {
    expect(shellWords(`-Da='x y' -Db="q\\"z" -Dc=1\\,2  -Dd=`)).toEqual(['-Da=x y', '-Db=q"z', '-Dc=1,2', '-Dd=']);
    expect(() => shellWords(`-Da='x`)).toThrow(/unclosed/);
    const f = jvmFlags({ SERVER_JVMFLAGS: '-Xmx1g -cp a.jar:b.jar -Dp=1 -Dq=2', JVMFLAGS: '-Dp=3 -XX:+UseG1GC' });
    expect(f.props.map((p) => [p.key, p.value, p.where])).toEqual([['q', '2', 'SERVER_JVMFLAGS'], ['p', '3', 'JVMFLAGS']]);
    expect(f.ignored).toEqual(['-Xmx1g', '-cp a.jar:b.jar', '-XX:+UseG1GC']);
  });

  it('sets zabkit\'s settings: superDigest, read-only mode, extended types, containers, JAAS, jute.maxbuffer, 4lw, admin, ssl, authProvider, quota, snapCount', () => {
    const env = {
      SERVER_JVMFLAGS: [
        '-Xmx1000m',
        '-Dzookeeper.DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=',
        '-Dreadonlymode.enabled=true',
        '-Dzookeeper.extendedTypesEnabled=true',
        '-Dznode.container.checkIntervalMs=250',
        '-Dznode.container.maxPerMinute=77',
        `-Djava.security.auth.login.config=${join(dir, 'jaas.conf')}`,
        '-Djute.maxbuffer=4096',
        "-Dzookeeper.4lw.commands.whitelist='ruok, srvr'",
        '-Dzookeeper.admin.serverPort=9999',
        '-Dzookeeper.ssl.keyStore.location=/etc/zk/server.pem',
        '-Dzookeeper.authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider',
        '-Dzookeeper.enforceQuota=true',
        '-Dzookeeper.snapCount=500',
        '-Dfile.encoding=UTF-8',
      ].join(' '),
    };
    const { config: c, notes } = loadServerConfig(['--config', cfg('props.cfg', ['secureClientPort=2281'])], env);
    expect(c.superDigest).toBe('super:D/InIHSb7yEEbrWz8b9l71RjZJU=');
    expect([c.readOnlyMode, c.extendedTypes, c.enforceQuota, c.saslAcl]).toEqual([true, true, true, true]);
    expect([c.reaping.checkIntervalMs, c.reaping.maxPerMinute, c.maxBuffer, c.snapCount, c.admin?.port]).toEqual([250, 77, 4096, 500, 9999]);
    expect(c.jaasFile).toBe(join(dir, 'jaas.conf'));
    expect([...c.fourLetterWords]).toEqual(['ruok', 'srvr']);
    expect(c.secureClient?.tls.keyStore).toMatchObject({ location: '/etc/zk/server.pem', type: 'PEM' });
    expect(notes.map((n) => n.msg)).toEqual([
      'SERVER_JVMFLAGS: -Dfile.encoding: does not apply to zabkit, ignored: a setting of the Java virtual machine',
      'JVM flags other than -D properties do not apply to zabkit, ignored: -Xmx1000m',
    ]);
  });

  it('precedence as Apache: zoo.cfg over its zookeeper.K property, a property-only setting over zabkit\'s zoo.cfg spelling, JVMFLAGS over SERVER_JVMFLAGS, flags over all', () => {
    const file = cfg('prec.cfg', ['snapCount=50', 'readonlymode.enabled=false', 'enforceQuota=false']);
    const env = { SERVER_JVMFLAGS: '-Dzookeeper.snapCount=7 -Dreadonlymode.enabled=true -Dzookeeper.enforceQuota=true -Djute.maxbuffer=100', JVMFLAGS: '-Djute.maxbuffer=200' };
    const a = loadServerConfig(['--config', file], env).config;
    expect([a.snapCount, a.readOnlyMode, a.enforceQuota, a.maxBuffer]).toEqual([50, true, false, 200]);
    const b = loadServerConfig(['--config', file, '--snap-count', '9', '--read-only-mode', 'false', '--max-buffer', '300'], env).config;
    expect([b.snapCount, b.readOnlyMode, b.maxBuffer]).toEqual([9, false, 300]);
  });

  it('reports the -D properties it does not implement, and refuses a bad value naming the variable', () => {
    const { notes } = loadServerConfig(['--data-dir', join(dir, 'data')], { JVMFLAGS: '-Dzookeeper.skipACL=yes -Dzookeeper.forceSync=yes -Dzookeeper.bogus=1' });
    expect(notes.map((n) => [n.level, n.key])).toEqual([['warn', 'zookeeper.skipACL'], ['info', 'zookeeper.forceSync'], ['warn', 'zookeeper.bogus']]);
    expect(() => loadServerConfig(['--data-dir', join(dir, 'data')], { SERVER_JVMFLAGS: '-Dzookeeper.snapCount=many' })).toThrow(ConfigError);
    expect(() => loadServerConfig(['--data-dir', join(dir, 'data')], { SERVER_JVMFLAGS: '-Dzookeeper.snapCount=many' })).toThrow(/^SERVER_JVMFLAGS: -Dzookeeper\.snapCount=many: /);
  });

  it('zabkit server logs each unimplemented key at start (file:line, and the variable for -D properties)', async () => {
    const file = cfg('server.cfg', ['clientPort=0', 'clientPortAddress=127.0.0.1', 'admin.enableServer=false', 'globalOutstandingLimit=1000', 'zookeeper.nonsense=1']);
    const run = launch(['server', '--config', file], { SERVER_JVMFLAGS: '-Dzookeeper.cnxTimeout=5000 -Xmx64m' });
    await run.waitFor(/"msg":"serving"/);
    run.proc.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    const lines = run.logs().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: string; msg: string; where?: string });
    expect(lines.filter((l) => l.where).map((l) => [l.level, l.where])).toEqual([
      ['warn', `${file}:5`],
      ['warn', `${file}:6`],
      ['warn', 'SERVER_JVMFLAGS'],
    ]);
    expect(lines.some((l) => l.level === 'info' && l.msg.includes('ignored: -Xmx64m'))).toBe(true);
  });
});
