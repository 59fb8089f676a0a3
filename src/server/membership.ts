// Who is in the ensemble, as ZooKeeper's dynamic configuration says it: the text kept in
// /zookeeper/config (one `server.N=…` line per member, then `version=<hex zxid>`), and the
// incremental reconfig a client asks for. zabkit changes only observers at run time: the voting
// members are the ones ZAB's reducers were configured with (dynamic quorums are not modelled).
import { Code, type ErrorCode, type Tree } from '../tree/index.ts';

export interface PeerAddress {
  readonly id: number;
  readonly host: string;
  readonly quorumPort: number;
  readonly electionPort: number;
  readonly observer: boolean;
  readonly clientPort?: number;
  /** The client address as written after `;` (`host:port`, or `port` alone). */
  readonly client?: string;
}

const isPort = (v: string | undefined): v is string => v !== undefined && /^\d+$/.test(v.trim()) && Number(v) <= 65535;

/** `server.N` = `host:quorumPort:electionPort[:participant|observer][;[host:]clientPort]`, or why not. */
export function parseServerLine(key: string, value: string): PeerAddress | string {
  const id = Number(key.trim().slice('server.'.length));
  if (!key.trim().startsWith('server.') || !Number.isInteger(id) || id < 0) return ('the server id must be a whole number');
  const [addr = '', clientPart] = value.trim().split(';');
  const parts = addr.split(':');
  if (parts.length < 3 || parts.length > 4) return ('expected host:quorumPort:electionPort[:participant|observer][;[host:]clientPort]');
  const [host = '', q = '', el = '', role = 'participant'] = parts;
  if (role !== 'participant' && role !== 'observer') return (`unknown role '${role}'`);
  const quorumPort = isPort(q) ? { success: true as const, data: Number(q) } : { success: false as const };
  const electionPort = isPort(el) ? { success: true as const, data: Number(el) } : { success: false as const };
  if (!host || !quorumPort.success || !electionPort.success) return ('bad host or port');
  let clientPort: number | undefined;
  if (clientPart !== undefined) {
    const last = clientPart.split(':').pop();
    const cp = isPort(last) ? { success: true as const, data: Number(last) } : { success: false as const };
    if (!cp.success) return ('bad client port');
    clientPort = cp.data;
  }
  return {
    id,
    host,
    quorumPort: quorumPort.data,
    electionPort: electionPort.data,
    observer: role === 'observer',
    ...(clientPort === undefined ? {} : { clientPort, client: clientPart!.trim() }),
  };
}


export interface Membership {
  readonly members: readonly PeerAddress[];
  /** The zxid of the reconfig that made this configuration; 0 for the one zoo.cfg gave. */
  readonly version: number;
}

export interface ReconfigAsk {
  readonly joining: string | null;
  readonly leaving: string | null;
  readonly newMembers: string | null;
}

const lineOf = (m: PeerAddress) =>
  `server.${m.id}=${m.host}:${m.quorumPort}:${m.electionPort}:${m.observer ? 'observer' : 'participant'}${m.client === undefined ? '' : `;${m.client.includes(':') ? m.client : `0.0.0.0:${m.client}`}`}`;

/** The configuration as ZooKeeper writes it into /zookeeper/config. */
export function configText(c: Membership): string {
  return [...[...c.members].sort((a, b) => a.id - b.id).map(lineOf), `version=${c.version.toString(16)}`].join('\n');
}

/** The configuration a tree's /zookeeper/config holds, or null if none was ever written there. */
export function configOf(tree: Tree): Membership | null {
  const data = tree.nodes.get('/zookeeper/config')?.data;
  return data ? parseConfigText(new TextDecoder().decode(data)) : null;
}

/** /zookeeper/config's text back into members, or null if it holds none (never reconfigured). */
export function parseConfigText(text: string): Membership | null {
  const members: PeerAddress[] = [];
  let version = 0;
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    if (key === 'version') version = parseInt(line.slice(eq + 1), 16) || 0;
    else if (key.startsWith('server.')) {
      const m = parseServerLine(key, line.slice(eq + 1));
      if (typeof m !== 'string') members.push(m);
    }
  }
  return members.length ? { members, version } : null;
}

/**
 * The members after `ask`, or the error ZooKeeper gives (BadArguments for a malformed server
 * string); Unimplemented when the voting members would change, which zabkit does not support.
 */
export function reconfigure(current: readonly PeerAddress[], ask: ReconfigAsk): PeerAddress[] | ErrorCode {
  let next: PeerAddress[];
  if (ask.newMembers !== null) {
    next = [];
    for (const spec of ask.newMembers.split(/[,\n]/).map((s) => s.trim()).filter(Boolean)) {
      const m = serverOf(spec, false);
      if (typeof m === 'number') return m;
      next.push(m);
    }
  } else {
    const leaving = new Set<number>();
    for (const id of (ask.leaving ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      if (!/^\d+$/.test(id)) return Code.BadArguments;
      leaving.add(Number(id));
    }
    next = current.filter((m) => !leaving.has(m.id));
    for (const spec of (ask.joining ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      const m = serverOf(spec, true);
      if (typeof m === 'number') return m;
      next = [...next.filter((x) => x.id !== m.id), m];
    }
  }
  const voters = (ms: readonly PeerAddress[]) => JSON.stringify(ms.filter((m) => !m.observer).map((m) => `${m.id}=${m.host}:${m.quorumPort}:${m.electionPort}`).sort());
  if (voters(next) !== voters(current)) return Code.Unimplemented;
  return next.sort((a, b) => a.id - b.id);
}

/** `server.N=…`; an incremental joiner must name all three addresses (quorum, election, client), as ZooKeeper wants. */
function serverOf(spec: string, joining: boolean): PeerAddress | ErrorCode {
  const eq = spec.indexOf('=');
  if (eq <= 0 || spec.indexOf('=', eq + 1) >= 0) return Code.BadArguments; // "Wrong format of server string"
  const m = parseServerLine(spec.slice(0, eq), spec.slice(eq + 1));
  return typeof m === 'string' || (joining && m.clientPort === undefined) ? Code.BadArguments : m;
}
