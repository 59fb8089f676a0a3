// The server's settings: ZooKeeper's zoo.cfg format, the -D system properties of SERVER_JVMFLAGS
// and JVMFLAGS (as zkServer.sh passes them to java), and command-line flags, which win over both.
// A bad value is refused with the file, line and key that hold it; a key zabkit does not
// implement is reported (config-keys.ts says what happens instead), never dropped without a word.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseFlags, type FlagValues } from './args.ts';
import { cfgRow, cfgWinsOverProp, propRow, settingOf, type KeyRow } from './config-keys.ts';
import { jvmFlags } from './jvm-flags.ts';
import { DEFAULT_MAX_BUFFER } from '../wire/protocol.ts';
import { parseServerLine, type PeerAddress } from '../server/membership.ts';
import { DEFAULT_REAPING } from '../server/types.ts';

export const FOUR_LETTER_WORDS = ['ruok', 'srvr', 'stat', 'mntr', 'conf', 'cons', 'envi', 'wchs', 'wchc', 'wchp', 'dump', 'isro', 'dirs', 'hash', 'gtmk', 'stmk', 'srst', 'crst'] as const;
export type FourLetterWord = (typeof FOUR_LETTER_WORDS)[number];

export type { PeerAddress } from '../server/membership.ts';

export interface ServerConfig {
  readonly tickTime: number;
  readonly initLimit: number;
  readonly syncLimit: number;
  readonly dataDir: string;
  readonly dataLogDir: string;
  readonly clientPort: number;
  readonly clientPortAddress: string;
  readonly maxClientCnxns: number;
  readonly minSessionTimeout: number;
  readonly maxSessionTimeout: number;
  readonly fourLetterWords: ReadonlySet<string>;
  readonly maxBuffer: number;
  readonly snapCount: number;
  readonly snapRetainCount: number;
  /** Hours between purges of old snapshots and logs; 0: never. */
  readonly purgeInterval: number;
  readonly servers: readonly PeerAddress[];
  readonly myid: number;
  readonly extendedTypes: boolean;
  /** SERVER-16: hard quota limits fail writes (enforceQuota=true, ZooKeeper's zookeeper.enforceQuota). */
  readonly enforceQuota: boolean;
  /** SERVER-15: ZooKeeper's znode.container.* properties. */
  readonly reaping: { readonly checkIntervalMs: number; readonly maxPerMinute: number; readonly maxNeverUsedIntervalMs: number };
  /** reconfigEnabled: zabkit has no dynamic reconfiguration; this only picks the refusal's code. */
  readonly reconfigEnabled: boolean;
  /**
   * `zabkit.compat`: the ZooKeeper 3.8 patch release whose client-visible behaviour to follow
   * where 3.8 releases differ (default 3.8.6). Only exists' READ check differs today: added in
   * 3.8.4 (ZOOKEEPER-2590), so `--compat 3.8.0` answers exists without it, as Debian's 3.8.0.
   */
  readonly compatPatch: number;
  /** readonlymode.enabled: a member without a quorum serves reads to clients that ask for read-only sessions. */
  readonly readOnlyMode: boolean;
  /** The JAAS file whose `Server` section lists SASL DIGEST-MD5 users (ZooKeeper's java.security.auth.login.config). */
  readonly jaasFile?: string;
  /** The `sasl` ACL scheme is known: an authProvider.N names SASLAuthenticationProvider, or a JAAS file is given. */
  readonly saslAcl: boolean;
  /** The `x509` ACL scheme is known: TLS for clients is on (Apache then registers X509AuthenticationProvider), or an authProvider.N names it. */
  readonly x509Acl?: boolean;
  /** `--trace FILE`: write every step of the reducers there (NDJSON, conformance/trace-schema.ts). */
  readonly trace?: string;
  readonly superDigest?: string;
  readonly logLevel: LogLevel;
  /** secureClientPort and ssl.*: TLS for clients (absent: no secure port). */
  readonly secureClient?: SecureClientConfig;
  /** sslQuorum=true: TLS between peers, with the ssl.quorum.* settings. */
  readonly quorumTls?: TlsConfig;
  /** admin.*: the AdminServer (HTTP, JSON commands). Absent: off (the simulator's servers). */
  readonly admin?: AdminConfig;
  /** metricsProvider.*: Prometheus metrics over HTTP, when the Prometheus provider is named. */
  readonly metrics?: MetricsConfig;
}

/** A key or trust store: ZooKeeper's ssl[.quorum].keyStore.* / trustStore.* settings. */
export interface StoreConfig {
  readonly location: string;
  readonly password?: string;
  /** PEM or PKCS12 (from .type, else the file's extension, as ZooKeeper infers it). */
  readonly type: StoreType;
  readonly where: string;
}
export const STORE_TYPES = ['PEM', 'PKCS12', 'JKS', 'BCFKS'] as const;
export type StoreType = (typeof STORE_TYPES)[number];

export interface TlsConfig {
  readonly keyStore?: StoreConfig;
  readonly trustStore?: StoreConfig;
  /** ssl.clientAuth: need (ZooKeeper's default), want, none. */
  readonly clientAuth: 'need' | 'want' | 'none';
  /** ssl.protocol (TLSv1.2 by default, as ZooKeeper 3.8) and ssl.enabledProtocols. */
  readonly protocol: string;
  readonly enabledProtocols?: readonly string[];
  readonly ciphersuites?: readonly string[];
  readonly hostnameVerification: boolean;
  readonly handshakeDetectionTimeoutMs: number;
}

export interface SecureClientConfig {
  /** secureClientPort; absent: client.portUnification alone (TLS on the plain port, no TLS-only port). */
  readonly port?: number;
  /** The plain clientPort listens: always, unless secureClientPort is set and clientPort is not (Apache then opens no plain port). */
  readonly plainPort: boolean;
  readonly address: string;
  readonly tls: TlsConfig;
  /** client.portUnification (zookeeper.client.portUnification): TLS and plain on the client port. */
  readonly portUnification: boolean;
}

export interface AdminConfig {
  readonly enabled: boolean;
  readonly address: string;
  readonly port: number;
  readonly commandUrl: string;
  readonly idleTimeoutMs: number;
}

export interface MetricsConfig {
  readonly host: string;
  readonly port: number;
  readonly exportJvmInfo: boolean;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {}

const port = z.coerce.number().int().min(0).max(65535);
const positive = z.coerce.number().int().positive();
const natural = z.coerce.number().int().min(0);
const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

/** What each setting (and its flag) may hold; config-keys.ts maps zoo.cfg keys and -D properties onto these. */
const KEYS = {
  tickTime: positive,
  initLimit: positive,
  syncLimit: positive,
  dataDir: z.string().min(1),
  dataLogDir: z.string().min(1),
  clientPort: port,
  clientPortAddress: z.string().min(1),
  maxClientCnxns: natural,
  minSessionTimeout: positive,
  maxSessionTimeout: positive,
  '4lw.commands.whitelist': z.string(),
  'jute.maxbuffer': positive,
  snapCount: positive,
  'autopurge.snapRetainCount': z.coerce.number().int().min(3),
  'autopurge.purgeInterval': natural,
  'zookeeper.extendedTypesEnabled': flag,
  enforceQuota: flag,
  electionAlg: z.literal('3', 'only 3 (fast leader election) exists in ZooKeeper 3.8'),
  peerType: z.string().transform((v) => v.toLowerCase()).pipe(z.enum(['participant', 'observer'])),
  dynamicConfigFile: z.string().min(1),
  'znode.container.checkIntervalMs': positive,
  'znode.container.maxPerMinute': positive,
  'znode.container.maxNeverUsedIntervalMs': natural,
  reconfigEnabled: flag,
  'readonlymode.enabled': flag,
  'java.security.auth.login.config': z.string().min(1),
  'zabkit.trace': z.string().min(1),
  'zabkit.compat': z.string().regex(/^3\.8\.\d+$/, 'a ZooKeeper 3.8 release, e.g. 3.8.0').transform((v) => Number(v.split('.')[2])),
  'zookeeper.DigestAuthenticationProvider.superDigest': z.string().regex(/^[^:]+:.+$/, 'user:base64-sha1'),
  logLevel: z.enum(LOG_LEVELS),
  secureClientPort: port,
  secureClientPortAddress: z.string().min(1),
  sslQuorum: flag,
  'client.portUnification': flag,
  'zookeeper.client.portUnification': flag,
  'admin.enableServer': flag,
  'admin.serverAddress': z.string().min(1),
  'admin.serverPort': port,
  'admin.commandURL': z.string().regex(/^\//, 'a path starting with /'),
  'admin.idleTimeout': positive,
  'metricsProvider.className': z.string().min(1),
  'metricsProvider.httpHost': z.string().min(1),
  'metricsProvider.httpPort': port,
  'metricsProvider.exportJvmInfo': flag,
  ...tlsKeys('ssl.'),
  ...tlsKeys('ssl.quorum.'),
} as const;

/** ZooKeeper's TLS settings under one prefix (ssl. for clients, ssl.quorum. for peers). */
function tlsKeys<P extends string>(p: P) {
  const store = z.string().min(1);
  const list = z.string().transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean));
  return {
    [`${p}keyStore.location`]: store,
    [`${p}keyStore.password`]: z.string(),
    [`${p}keyStore.passwordPath`]: store,
    [`${p}keyStore.type`]: z.string().transform((v) => v.toUpperCase()).pipe(z.enum(STORE_TYPES)),
    [`${p}trustStore.location`]: store,
    [`${p}trustStore.password`]: z.string(),
    [`${p}trustStore.passwordPath`]: store,
    [`${p}trustStore.type`]: z.string().transform((v) => v.toUpperCase()).pipe(z.enum(STORE_TYPES)),
    [`${p}clientAuth`]: z.string().transform((v) => v.toLowerCase()).pipe(z.enum(['need', 'want', 'none'])),
    [`${p}protocol`]: z.string().min(1),
    [`${p}enabledProtocols`]: list,
    [`${p}ciphersuites`]: list,
    [`${p}hostnameVerification`]: flag,
    [`${p}handshakeDetectionTimeoutMillis`]: positive,
  } as Record<`${P}${'keyStore' | 'trustStore'}.${'location' | 'password' | 'passwordPath'}` | `${P}${'protocol'}`, z.ZodType<string, string>> &
    Record<`${P}${'keyStore' | 'trustStore'}.type`, z.ZodType<StoreType, string>> &
    Record<`${P}clientAuth`, z.ZodType<'need' | 'want' | 'none', string>> &
    Record<`${P}${'enabledProtocols' | 'ciphersuites'}`, z.ZodType<string[], string>> &
    Record<`${P}hostnameVerification`, z.ZodType<boolean, string>> &
    Record<`${P}handshakeDetectionTimeoutMillis`, z.ZodType<number, string>>;
}

/** The names of zabkit's settings (config-keys.ts's supported rows set these). */
export const SETTING_NAMES: ReadonlySet<string> = new Set(Object.keys(KEYS));

/** Command-line flags and the zoo.cfg key each sets. */
export const FLAGS: Readonly<Record<string, keyof typeof KEYS | 'myid'>> = {
  '--port': 'clientPort',
  '--host': 'clientPortAddress',
  '--data-dir': 'dataDir',
  '--data-log-dir': 'dataLogDir',
  '--tick-time': 'tickTime',
  '--max-client-cnxns': 'maxClientCnxns',
  '--4lw': '4lw.commands.whitelist',
  '--max-buffer': 'jute.maxbuffer',
  '--snap-count': 'snapCount',
  '--snap-retain-count': 'autopurge.snapRetainCount',
  '--purge-interval': 'autopurge.purgeInterval',
  '--extended-types': 'zookeeper.extendedTypesEnabled',
  '--enforce-quota': 'enforceQuota',
  '--container-check-interval': 'znode.container.checkIntervalMs',
  '--read-only-mode': 'readonlymode.enabled',
  '--jaas': 'java.security.auth.login.config',
  '--trace': 'zabkit.trace',
  '--compat': 'zabkit.compat',
  '--super-digest': 'zookeeper.DigestAuthenticationProvider.superDigest',
  '--log-level': 'logLevel',
  '--myid': 'myid',
  '--secure-port': 'secureClientPort',
  '--admin-port': 'admin.serverPort',
  '--admin-server': 'admin.enableServer',
  '--metrics-port': 'metricsProvider.httpPort',
};

interface Entry {
  readonly value: string;
  readonly where: string;
  /** The key as given (zoo.cfg key, -D property or flag), for messages. */
  readonly key?: string;
}

/** A key zabkit does not implement (or does not know), reported by `zabkit server` at start. */
export interface ConfigNote {
  readonly level: 'warn' | 'info';
  readonly msg: string;
  readonly key?: string;
  readonly where?: string;
}

/** zoo.cfg lines: `key=value`; `#` starts a comment line; whitespace around both is dropped. */
export function parseZooCfg(text: string, file: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const where = `${file}:${i + 1}`;
    if (eq <= 0) throw new ConfigError(`${where}: expected key=value, got '${line}'`);
    out.set(line.slice(0, eq).trim(), { value: line.slice(eq + 1).trim(), where });
  });
  return out;
}

function parseServer(key: string, e: Entry): PeerAddress {
  const r = parseServerLine(key, e.value);
  if (typeof r === 'string') throw new ConfigError(`${e.where}: ${key}=${e.value}: ${r}`);
  return r;
}

function value<K extends keyof typeof KEYS>(entries: Map<string, Entry>, key: K): z.output<(typeof KEYS)[K]> | undefined {
  const e = entries.get(key);
  if (!e) return undefined;
  const r = KEYS[key].safeParse(e.value);
  if (!r.success) throw new ConfigError(`${e.where}: ${e.key ?? key}=${e.value}: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data as z.output<(typeof KEYS)[K]>;
}

function whitelist(spec: string | undefined): ReadonlySet<string> {
  // zabkit's default enables every word (ZooKeeper's enables srvr only); the whitelist narrows it.
  if (spec === undefined || spec.trim() === '*') return new Set(FOUR_LETTER_WORDS);
  return new Set(spec.split(/[\s,]+/).filter(Boolean));
}

type Env = Readonly<Record<string, string | undefined>>;

/** The settings from `--config FILE` (if any), SERVER_JVMFLAGS/JVMFLAGS and flags. */
export function loadConfig(args: readonly string[], env: Env = process.env): ServerConfig {
  return loadServerConfig(args, env).config;
}

/** The settings, and what `zabkit server` reports at start about the keys it does not implement. */
export function loadServerConfig(args: readonly string[], env: Env = process.env): { readonly config: ServerConfig; readonly notes: readonly ConfigNote[] } {
  const fromFile = new Map<string, Entry>();
  const fromFlags = new Map<string, Entry>();
  let myidFlag: string | undefined;
  const spec: Record<string, { type: 'string' }> = { config: { type: 'string' } };
  for (const f of Object.keys(FLAGS)) spec[f.slice(2)] = { type: 'string' };
  // A bad flag is a usage error (UsageError: `zabkit server` prints its usage); a bad setting a ConfigError.
  const values: FlagValues = parseFlags(args, spec).values;
  const file = values.config as string | undefined;
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read ${file}: ${(e as Error).message}`);
    }
    for (const [k, e] of parseZooCfg(text, file)) fromFile.set(k, { ...e, key: k });
    addDynamicConfig(fromFile);
  }
  for (const [name, key] of Object.entries(FLAGS)) {
    const v = values[name.slice(2)] as string | undefined;
    if (v === undefined) continue;
    if (key === 'myid') myidFlag = v;
    else fromFlags.set(key, { value: v, where: name, key: name });
  }
  const notes: ConfigNote[] = [];
  let flagsOfJvm: ReturnType<typeof jvmFlags>;
  try {
    flagsOfJvm = jvmFlags(env);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  const entries = settings(fromFile, flagsOfJvm.props, fromFlags, notes);
  if (flagsOfJvm.ignored.length) notes.push({ level: 'info', msg: `JVM flags other than -D properties do not apply to zabkit, ignored: ${flagsOfJvm.ignored.join(' ')}` });
  for (const [k, e] of entries) {
    const cls = e.value.trim();
    if (/^authProvider\./.test(k) && !/\.(SASL|Digest|IP|X509)AuthenticationProvider$/.test(cls)) {
      notes.push({ level: 'warn', msg: `${e.where}: ${e.key ?? k}=${cls}: not loaded, zabkit has the schemes digest, ip, world, sasl and x509 only`, key: k, where: e.where });
    }
  }
  const servers = [...entries].filter(([k]) => k.startsWith('server.')).map(([k, e]) => parseServer(k, e));
  const tickTime = value(entries, 'tickTime') ?? 2000;
  const dataDir = value(entries, 'dataDir');
  if (!dataDir) throw new ConfigError('no dataDir: give --data-dir DIR or dataDir=DIR in the config');
  const myid = readMyid(dataDir, myidFlag, servers);
  const minSessionTimeout = value(entries, 'minSessionTimeout') ?? 2 * tickTime;
  const maxSessionTimeout = value(entries, 'maxSessionTimeout') ?? 20 * tickTime;
  if (minSessionTimeout > maxSessionTimeout) throw new ConfigError(`minSessionTimeout ${minSessionTimeout} is above maxSessionTimeout ${maxSessionTimeout}`);
  const superDigest = value(entries, 'zookeeper.DigestAuthenticationProvider.superDigest');
  const jaasFile = value(entries, 'java.security.auth.login.config');
  const trace = value(entries, 'zabkit.trace');
  const saslProvider = [...entries].some(([k, e]) => /^authProvider\./.test(k) && e.value.trim().endsWith('.SASLAuthenticationProvider'));
  const x509Provider = [...entries].some(([k, e]) => /^authProvider\./.test(k) && e.value.trim().endsWith('.X509AuthenticationProvider'));
  const secure = secureSettings(entries);
  // Checked only: the election is ZAB's, and the role comes from the server.N lines.
  value(entries, 'electionAlg');
  value(entries, 'peerType');
  const config: ServerConfig = {
    tickTime,
    initLimit: value(entries, 'initLimit') ?? 10,
    syncLimit: value(entries, 'syncLimit') ?? 5,
    dataDir,
    dataLogDir: value(entries, 'dataLogDir') ?? dataDir,
    clientPort: value(entries, 'clientPort') ?? 2181,
    clientPortAddress: value(entries, 'clientPortAddress') ?? '0.0.0.0',
    maxClientCnxns: value(entries, 'maxClientCnxns') ?? 60,
    minSessionTimeout,
    maxSessionTimeout,
    fourLetterWords: whitelist(value(entries, '4lw.commands.whitelist')),
    maxBuffer: value(entries, 'jute.maxbuffer') ?? DEFAULT_MAX_BUFFER,
    snapCount: value(entries, 'snapCount') ?? 100000,
    snapRetainCount: value(entries, 'autopurge.snapRetainCount') ?? 3,
    purgeInterval: value(entries, 'autopurge.purgeInterval') ?? 0,
    servers,
    myid,
    extendedTypes: value(entries, 'zookeeper.extendedTypesEnabled') ?? false,
    enforceQuota: value(entries, 'enforceQuota') ?? false,
    reaping: {
      checkIntervalMs: value(entries, 'znode.container.checkIntervalMs') ?? DEFAULT_REAPING.checkIntervalMs,
      maxPerMinute: value(entries, 'znode.container.maxPerMinute') ?? DEFAULT_REAPING.maxPerMinute,
      maxNeverUsedIntervalMs: value(entries, 'znode.container.maxNeverUsedIntervalMs') ?? DEFAULT_REAPING.maxNeverUsedIntervalMs,
    },
    reconfigEnabled: value(entries, 'reconfigEnabled') ?? false,
    compatPatch: value(entries, 'zabkit.compat') ?? 6,
    readOnlyMode: value(entries, 'readonlymode.enabled') ?? false,
    ...(jaasFile === undefined ? {} : { jaasFile }),
    saslAcl: saslProvider || jaasFile !== undefined,
    x509Acl: x509Provider || secure.secureClient !== undefined,
    ...(trace === undefined ? {} : { trace }),
    ...(superDigest === undefined ? {} : { superDigest }),
    logLevel: value(entries, 'logLevel') ?? 'info',
    ...secure,
    admin: {
      enabled: value(entries, 'admin.enableServer') ?? true,
      address: value(entries, 'admin.serverAddress') ?? '0.0.0.0',
      port: value(entries, 'admin.serverPort') ?? 8080,
      commandUrl: value(entries, 'admin.commandURL') ?? '/commands',
      idleTimeoutMs: value(entries, 'admin.idleTimeout') ?? 30000,
    },
    ...metricsSettings(entries),
  };
  return { config, notes };
}

/**
 * The value of each setting, from zoo.cfg entries, -D properties and flags, by Apache's precedence:
 * flags win; a zoo.cfg key that Apache turns into a property (K → zookeeper.K) wins over that -D
 * property, which Apache sets first; a property Apache reads only as such (readonlymode.enabled,
 * jute.maxbuffer, …) wins over zabkit's zoo.cfg spelling of it. Keys zabkit does not implement go
 * to `notes`, one per key.
 */
function settings(file: ReadonlyMap<string, Entry>, props: readonly { key: string; value: string; where: string }[], flags: ReadonlyMap<string, Entry>, notes: ConfigNote[]): Map<string, Entry> {
  const chosen = new Map<string, Entry & { tier: number }>();
  const put = (setting: string, e: Entry, tier: number) => {
    const was = chosen.get(setting);
    if (!was || tier >= was.tier) chosen.set(setting, { ...e, tier });
  };
  const report = (row: KeyRow, key: string, e: Entry) => {
    const at = `${e.where}: ${e.key ?? key}`;
    if (row.support === 'n/a') notes.push({ level: 'info', msg: `${at}: does not apply to zabkit, ignored: ${row.note}`, key, where: e.where });
    else if (row.ok?.some((v) => v.toLowerCase() === e.value.trim().toLowerCase())) notes.push({ level: 'info', msg: `${at}=${e.value}: what zabkit does anyway: ${row.note}`, key, where: e.where });
    else notes.push({ level: 'warn', msg: `${at}: not implemented by zabkit, ignored: ${row.note}`, key, where: e.where });
  };
  for (const [key, e] of file) {
    if (key === 'version' && e.where.includes(DYNAMIC)) continue; // the dynamic file's own version line
    // zabkit also takes a property's name in zoo.cfg (readonlymode.enabled, zookeeper.enforceQuota, …).
    const byCfg = cfgRow(key);
    const row = byCfg ?? propRow(key);
    if (!row) notes.push({ level: 'warn', msg: `${e.where}: ${key}: unknown to ZooKeeper 3.8 and zabkit, ignored (Apache would set it as the system property zookeeper.${key})`, key, where: e.where });
    else if (row.support !== 'supported') report(row, key, e);
    else put(isPatternRow(row) ? (byCfg || !cfgWinsOverProp(row) ? key : key.slice('zookeeper.'.length)) : settingOf(row), e, 1);
  }
  for (const p of props) {
    const e: Entry = { value: p.value, where: p.where, key: `-D${p.key}` };
    const row = propRow(p.key);
    if (!row) notes.push({ level: 'warn', msg: `${p.where}: -D${p.key}: a system property unknown to ZooKeeper 3.8 and zabkit, ignored`, key: p.key, where: p.where });
    else if (row.support !== 'supported') report(row, p.key, e);
    else if (cfgWinsOverProp(row)) put(isPatternRow(row) ? p.key.slice('zookeeper.'.length) : settingOf(row), e, 0);
    else put(settingOf(row), e, 2);
  }
  for (const [setting, e] of flags) put(setting, e, 3);
  return new Map([...chosen].map(([k, { tier: _, ...e }]) => [k, e]));
}

/** server.N, authProvider.*: the setting is the key itself. */
const isPatternRow = (row: KeyRow) => /(^|\.)(N|\*)$/.test(row.cfg ?? row.prop ?? '');
const DYNAMIC = ' (dynamic):';

/** dynamicConfigFile: its server.N (group.N, weight.N) lines count as zoo.cfg's, as Apache reads them. */
function addDynamicConfig(entries: Map<string, Entry>): void {
  const e = entries.get('dynamicConfigFile');
  if (!e) return;
  const inline = [...entries.keys()].find((k) => /^(server|group|weight)\./.test(k));
  if (inline) throw new ConfigError(`${entries.get(inline)!.where}: ${inline} must be in the dynamic config file ${e.value} when dynamicConfigFile is set`);
  let text: string;
  try {
    text = readFileSync(e.value, 'utf8');
  } catch (err) {
    throw new ConfigError(`${e.where}: dynamicConfigFile=${e.value}: ${(err as Error).message}`);
  }
  for (const [k, d] of parseZooCfg(text, `${e.value} (dynamic)`)) entries.set(k, { ...d, key: k });
}

/** secureClientPort with ssl.*, and sslQuorum with ssl.quorum.*. */
function secureSettings(entries: Map<string, Entry>): Pick<ServerConfig, 'secureClient' | 'quorumTls'> {
  const port = value(entries, 'secureClientPort');
  const out: { secureClient?: SecureClientConfig; quorumTls?: TlsConfig } = {};
  const portUnification = value(entries, 'client.portUnification') ?? value(entries, 'zookeeper.client.portUnification') ?? false;
  if (port !== undefined || portUnification) {
    out.secureClient = {
      ...(port !== undefined ? { port } : {}),
      plainPort: port === undefined || entries.has('clientPort'),
      address: value(entries, 'secureClientPortAddress') ?? value(entries, 'clientPortAddress') ?? '0.0.0.0',
      tls: tlsSettings(entries, 'ssl.'),
      portUnification,
    };
  }
  if (value(entries, 'sslQuorum')) out.quorumTls = tlsSettings(entries, 'ssl.quorum.');
  return out;
}

function tlsSettings(entries: Map<string, Entry>, p: 'ssl.' | 'ssl.quorum.'): TlsConfig {
  const store = (kind: 'keyStore' | 'trustStore'): StoreConfig | undefined => {
    const location = value(entries, `${p}${kind}.location`);
    if (location === undefined) return undefined;
    const where = entries.get(`${p}${kind}.location`)!.where;
    let password = value(entries, `${p}${kind}.password`);
    const passwordPath = value(entries, `${p}${kind}.passwordPath`);
    if (password === undefined && passwordPath !== undefined) {
      try {
        password = readFileSync(passwordPath, 'utf8').replace(/\r?\n$/, '');
      } catch (e) {
        throw new ConfigError(`${entries.get(`${p}${kind}.passwordPath`)!.where}: cannot read ${passwordPath}: ${(e as Error).message}`);
      }
    }
    const type = value(entries, `${p}${kind}.type`) ?? storeTypeOf(location, where, `${p}${kind}`);
    return { location, type, where, ...(password === undefined ? {} : { password }) };
  };
  const keyStore = store('keyStore');
  const trustStore = store('trustStore');
  const enabledProtocols = value(entries, `${p}enabledProtocols`);
  const ciphersuites = value(entries, `${p}ciphersuites`);
  return {
    ...(keyStore ? { keyStore } : {}),
    ...(trustStore ? { trustStore } : {}),
    clientAuth: value(entries, `${p}clientAuth`) ?? 'need',
    protocol: value(entries, `${p}protocol`) ?? 'TLSv1.2',
    ...(enabledProtocols ? { enabledProtocols } : {}),
    ...(ciphersuites ? { ciphersuites } : {}),
    hostnameVerification: value(entries, `${p}hostnameVerification`) ?? true,
    handshakeDetectionTimeoutMs: value(entries, `${p}handshakeDetectionTimeoutMillis`) ?? 5000,
  };
}

/** A store's type from its file name, as ZooKeeper infers it when .type is not given. */
function storeTypeOf(location: string, where: string, key: string): StoreType {
  const ext = /\.([^./]+)$/.exec(location)?.[1]?.toLowerCase();
  const byExt: Record<string, StoreType> = { pem: 'PEM', crt: 'PEM', key: 'PEM', p12: 'PKCS12', pfx: 'PKCS12', jks: 'JKS', bcfks: 'BCFKS' };
  const t = ext === undefined ? undefined : byExt[ext];
  if (!t) throw new ConfigError(`${where}: ${key}.location=${location}: cannot tell the store's type from its name; set ${key}.type=PEM or PKCS12`);
  return t;
}

/** metricsProvider.className naming ZooKeeper's Prometheus provider turns the metrics endpoint on. */
function metricsSettings(entries: Map<string, Entry>): Pick<ServerConfig, 'metrics'> {
  const cls = value(entries, 'metricsProvider.className');
  if (cls === undefined || !cls.endsWith('PrometheusMetricsProvider')) return {};
  return {
    metrics: {
      host: value(entries, 'metricsProvider.httpHost') ?? '0.0.0.0',
      port: value(entries, 'metricsProvider.httpPort') ?? 7000,
      exportJvmInfo: value(entries, 'metricsProvider.exportJvmInfo') ?? true,
    },
  };
}

/** The server id: --myid, else dataDir/myid (as ZooKeeper), else 1 for a standalone server. */
function readMyid(dataDir: string, flagValue: string | undefined, servers: readonly PeerAddress[]): number {
  let text = flagValue;
  let where = '--myid';
  if (text === undefined) {
    where = join(dataDir, 'myid');
    try {
      text = readFileSync(where, 'utf8').trim();
    } catch {
      if (servers.length > 1) throw new ConfigError(`${where} is missing: an ensemble member needs its id there`);
      return servers[0]?.id ?? 1;
    }
  }
  const id = Number(text);
  if (!Number.isInteger(id) || id < 0) throw new ConfigError(`${where}: '${text}' is not a server id`);
  if (servers.length > 0 && !servers.some((s) => s.id === id)) throw new ConfigError(`${where}: id ${id} has no server.${id} line`);
  return id;
}
