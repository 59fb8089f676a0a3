// What zkCli prints, in its words: a Stat as StatPrinter lays it out (times as Java's Date prints
// them), an ACL entry as jute's record text, permissions as ZKUtil's letters, watch events as
// WatchedEvent's text, and a failed call as zkCli's messages for each KeeperException code.
import { CODE_NAMES, ZooKeeperError, type ACL, type ConnectionState, type Stat, type WatchEvent } from '../client/index.ts';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** The local time zone's short name at `d` (UTC, EST, or GMT+1 where no abbreviation is known). */
function zoneName(d: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
  return part?.value ?? 'UTC';
}

/** Java's Date.toString: `Thu Jan 01 00:00:00 UTC 1970`, in the local time zone. */
export function javaDate(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${zoneName(d)} ${d.getFullYear()}`;
}

const hex = (n: bigint): string => `0x${BigInt.asUintN(64, n).toString(16)}`;

/** StatPrinter's eleven lines. */
export function statLines(s: Stat): string {
  return [
    `cZxid = ${hex(s.czxid)}`,
    `ctime = ${javaDate(s.ctime)}`,
    `mZxid = ${hex(s.mzxid)}`,
    `mtime = ${javaDate(s.mtime)}`,
    `pZxid = ${hex(s.pzxid)}`,
    `cversion = ${s.cversion}`,
    `dataVersion = ${s.version}`,
    `aclVersion = ${s.aversion}`,
    `ephemeralOwner = ${hex(s.ephemeralOwner)}`,
    `dataLength = ${s.dataLength}`,
    `numChildren = ${s.numChildren}`,
  ].join('\n');
}

/** ZKUtil's permission letters, in its order: c d r w a. */
export function permString(perms: number): string {
  return [
    [4, 'c'],
    [8, 'd'],
    [1, 'r'],
    [2, 'w'],
    [16, 'a'],
  ]
    .filter(([bit]) => (perms & (bit as number)) !== 0)
    .map(([, c]) => c)
    .join('');
}

/** A string as jute's record text writes it: quoted with `'`, a few characters %-escaped. */
const juteString = (s: string): string =>
  `'${s.replace(/[\0\n\r,}%]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)}`;

/** getAcl's lines for one entry: the Id as jute prints a record (ending in a newline), then `: perms`. */
export const aclEntry = (a: ACL): string => `${juteString(a.id.scheme)},${juteString(a.id.id)}\n: ${permString(a.perms)}`;

/** Permissions from zkCli's letters; unknown letters are reported (on `warn`) and skipped, as AclParser does. */
function permsOf(text: string, warn: (s: string) => void): number {
  let perms = 0;
  for (const c of text) {
    const bit = ({ r: 1, w: 2, c: 4, d: 8, a: 16 } as Record<string, number>)[c];
    if (bit === undefined) warn(`Unknown perm type: ${c}`);
    else perms |= bit;
  }
  return perms;
}

/** zkCli's ACL text (`scheme:id:perms[,…]`, the id may hold colons); malformed entries reported on `warn` and left out. */
export function parseAcl(text: string, warn: (s: string) => void): ACL[] {
  const out: ACL[] = [];
  for (const a of text.split(',')) {
    const first = a.indexOf(':');
    const last = a.lastIndexOf(':');
    if (first === -1 || first === last) {
      warn(`${a} does not have the form scheme:id:perm`);
      continue;
    }
    out.push({ id: { scheme: a.slice(0, first), id: a.slice(first + 1, last) }, perms: permsOf(a.slice(last + 1), warn) });
  }
  return out;
}

const EVENT_TYPE: Readonly<Record<WatchEvent['type'], string>> = {
  created: 'NodeCreated',
  deleted: 'NodeDeleted',
  dataChanged: 'NodeDataChanged',
  childrenChanged: 'NodeChildrenChanged',
  dataWatchRemoved: 'DataWatchRemoved',
  childWatchRemoved: 'ChildWatchRemoved',
  persistentWatchRemoved: 'PersistentWatchRemoved',
};

/** Watcher.Event.KeeperState's name for a connection state the shell is told of (none for `connecting`). */
export const KEEPER_STATE: Readonly<Partial<Record<ConnectionState, string>>> = {
  connected: 'SyncConnected',
  connectedReadOnly: 'ConnectedReadOnly',
  disconnected: 'Disconnected',
  expired: 'Expired',
  authFailed: 'AuthFailed',
  closed: 'Closed',
};

/** ZooKeeper.States' name, as the prompt shows it. */
export const CLIENT_STATE: Readonly<Record<ConnectionState, string>> = {
  connecting: 'CONNECTING',
  disconnected: 'CONNECTING',
  connected: 'CONNECTED',
  connectedReadOnly: 'CONNECTEDREADONLY',
  expired: 'CLOSED',
  closed: 'CLOSED',
  authFailed: 'AUTH_FAILED',
};

/** WatchedEvent's text: a node event (its state is always SyncConnected) or a connection state's. */
export function eventText(e: WatchEvent | { readonly state: string }): string {
  return 'state' in e ? `WatchedEvent state:${e.state} type:None path:null` : `WatchedEvent state:SyncConnected type:${EVENT_TYPE[e.type]} path:${e.path}`;
}

/** KeeperException.getCodeMessage: the code's name, but for these sentences (and the codes it does not name). */
const CODE_SENTENCE: ReadonlyMap<number, string> = new Map([
  [0, 'ok'],
  [-111, 'Directory not empty'],
  [-112, 'Session expired'],
  [-113, 'Invalid callback'],
  [-118, 'Session moved'],
  [-119, 'Not a read-only call'],
  [-120, 'Ephemeral node on local session'],
  [-121, 'No such watcher'],
  [-123, 'Reconfig is disabled'],
  [-124, 'Session closed because client failed to authenticate'],
  [-125, 'Quota has exceeded'],
  [-127, 'Op throttled due to high load'],
]);
const UNNAMED: ReadonlySet<number> = new Set([-12, -122]);
const codeMessage = (code: number): string => CODE_SENTENCE.get(code) ?? (UNNAMED.has(code) ? undefined : CODE_NAMES.get(code)) ?? `Unknown error ${code}`;

/** KeeperException.getMessage: `KeeperErrorCode = NoNode for /a`. */
export function keeperMessage(code: number, path?: string): string {
  const m = `KeeperErrorCode = ${codeMessage(code)}`;
  return path ? `${m} for ${path}` : m;
}

/** zkCli's sentence for a failed call (CliWrapperException), else KeeperException's message. */
export function failureMessage(e: unknown): string {
  if (!(e instanceof ZooKeeperError)) return e instanceof Error ? e.message : String(e);
  const p = e.path ?? 'null';
  switch (e.code) {
    case -101:
      return `Node does not exist: ${p}`;
    case -108:
      return `Ephemerals cannot have children: ${p}`;
    case -110:
      return `Node already exists: ${p}`;
    case -111:
      return `Node not empty: ${p}`;
    case -119:
      return `Not a read-only call: ${p}`;
    case -114:
      return `Acl is not valid : ${p}`;
    case -102:
      return `Insufficient permission : ${p}`;
    case -8:
      return `Arguments are not valid : ${p}`;
    case -103:
      return `version No is not valid : ${p}`;
    case -14:
      return 'Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)';
    case -13:
      return 'No quorum of new config is connected and up-to-date with the leader of last commmitted config - try invoking reconfiguration after new servers are connected and synced';
    case -125:
      return `Quota has exceeded : ${p}`;
    default:
      return keeperMessage(e.code, e.path);
  }
}
