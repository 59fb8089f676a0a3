// Apache ZooKeeper 3.8 and zabkit side by side for the observability tests (four-letter words,
// AdminServer, mntr): one of each per test file, both given the same client work, so that their
// answers can be compared key by key and line by line.
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { apacheInstalled, apacheMember, startApache, type ApacheServer } from '../../conformance/apache.ts';
import { freeBasePort, launch, type Launched } from '../../conformance/launch.ts';
import { connect, type ZooKeeperClient } from '../../src/client/index.ts';
import { fourLetter, peerMissing, removeDir, startServer, tempDir, type RunningServer } from './harness.ts';

export const noApache = peerMissing('Apache ZooKeeper (Debian zookeeper)', apacheInstalled());

export interface Side {
  readonly name: 'apache' | 'zabkit';
  readonly port: number;
  /** The AdminServer's port (when started with one). */
  readonly adminPort: number;
  /** A client that did the work, its session (ephemeral, watches, digest id) kept open. */
  client: ZooKeeperClient;
}

export interface Pair {
  apache: Side;
  zabkit: Side;
}

/** Both servers for the whole file: started (admin on if asked), given `work`, stopped after. */
export function suitePair(o: { admin: boolean }): Pair {
  const pair = {} as Pair;
  let dir = '';
  let apache: ApacheServer | undefined;
  let zabkit: RunningServer | undefined;
  beforeAll(async () => {
    if (noApache) return;
    dir = tempDir('zabkit-observability-');
    const base = await freeBasePort(1);
    const adminCfg = (port: number) => (o.admin ? ['admin.enableServer=true', 'admin.serverAddress=127.0.0.1', `admin.serverPort=${port}`] : []);
    // zabkit from a zoo.cfg too, which initial_configuration answers (the harness's flags win over it).
    mkdirSync(`${dir}/zabkit`, { recursive: true });
    writeFileSync(`${dir}/zoo.cfg`, `${[`dataDir=${dir}/zabkit`, 'clientPortAddress=127.0.0.1', ...adminCfg(base + 200)].join('\n')}\n`);
    const zabkitFlags = ['--config', `${dir}/zoo.cfg`, ...(o.admin ? ['--admin-server', 'true'] : [])];
    [apache, zabkit] = await Promise.all([startApache({ port: base, dir: `${dir}/apache`, cfg: adminCfg(base + 100) }), startServer(`${dir}/zabkit`, zabkitFlags)]);
    const sides: [Side['name'], number, number][] = [
      ['apache', base, base + 100],
      ['zabkit', zabkit.port, base + 200],
    ];
    await Promise.all(
      sides.map(async ([name, port, adminPort]) => {
        pair[name] = { name, port, adminPort, client: await work(port) };
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await Promise.all([pair.apache?.client.close(), pair.zabkit?.client.close()]);
    await Promise.all([apache?.stop(), zabkit?.stop()]);
    if (dir) removeDir(dir);
  });
  return pair;
}

/** The same client work on either server: 130 txns (so that a digest is logged at zxid 0x…80), an ephemeral, data and child watches, a digest id. */
async function work(port: number): Promise<ZooKeeperClient> {
  const c = await connect(`127.0.0.1:${port}`);
  await c.addAuth('digest', Buffer.from('bob:secret'));
  await c.create('/t', Buffer.from('hello'));
  await c.create('/t/e', Buffer.from('x'), { mode: 'ephemeral' });
  await Promise.all(Array.from({ length: 130 }, (_, i) => c.create(`/t/n${i}`, null)));
  await c.getData('/t', { watch: () => {} });
  await c.getChildren('/t', { watch: () => {} });
  await c.exists('/nope', { watch: () => {} });
  return c;
}

/** What kind of value a mntr line holds: a long, a double (Java's, NaN included) or text. */
export const valueKind = (v: string): 'long' | 'double' | 'text' => (/^-?\d+$/.test(v) ? 'long' : /^(-?\d+\.\d+(E-?\d+)?|NaN)$/.test(v) ? 'double' : 'text');

/** mntr's lines as key → value. */
export const mntrMap = (text: string): Map<string, string> =>
  new Map(
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t') as [string, string]),
  );

/**
 * The shape of a JSON answer: every number replaced by its Java kind ("#long", "#double": the
 * text tells them apart, 0 from 0.0), strings by "#string"; keys that are data (session ids,
 * times, paths) by "#key". Two servers' answers to the same work have the same shape.
 */
export function jsonShape(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const raw = text.slice(i, j + 1);
      const isKey = /^\s*:/.test(text.slice(j + 1));
      const str = JSON.parse(raw) as string;
      out += isKey ? JSON.stringify(/^(\d+|\/.*)$/.test(str) ? '#key' : str) : '"#string"';
      i = j + 1;
    } else if (/[-\d]/.test(c)) {
      const m = /^-?\d+(\.\d+)?(E-?\d+)?/.exec(text.slice(i))!;
      out += m[1] || m[2] ? '"#double"' : '"#long"';
      i += m[0].length;
    } else {
      out += c;
      i++;
    }
  }
  return sortKeys(JSON.parse(out));
}

/** Objects with their keys in order (ZooKeeper's own order varies from run to run for some answers). */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}

export interface EnsembleSide {
  /** Client and AdminServer ports by mode, once every member serves. */
  readonly leader: { readonly port: number; readonly adminPort: number };
  readonly follower: { readonly port: number; readonly adminPort: number };
}

/** Three voters of each system on 127.0.0.1 (client P+k, quorum P+100+k, election P+200+k, admin P+300+k), for a whole file. */
export function suiteEnsembles(): { apache: EnsembleSide; zabkit: EnsembleSide } {
  const out = {} as { apache: EnsembleSide; zabkit: EnsembleSide };
  let dir = '';
  const stops: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    if (noApache) return;
    dir = tempDir('zabkit-observability-ensembles-');
    // One range for both, so that neither's ports (P+300.. too) can be the other's: Apache at P+k, zabkit at P+10+k.
    const ab = await freeBasePort(13);
    const zb = ab + 10;
    const admin = (base: number, k: number) => ['admin.enableServer=true', 'admin.serverAddress=127.0.0.1', `admin.serverPort=${base + 300 + k}`];
    const o = { size: 3, basePort: ab, dir: `${dir}/apache` };
    const apache = Promise.all([0, 1, 2].map((k) => startApache({ ...apacheMember(o, k), cfg: [...apacheMember(o, k).cfg!, ...admin(ab, k)] })));
    const lines = [0, 1, 2].map((i) => `server.${i + 1}=127.0.0.1:${zb + 100 + i}:${zb + 200 + i};127.0.0.1:${zb + i}`);
    const zabkit: Launched[] = [0, 1, 2].map((k) => {
      const d = `${dir}/zabkit/server-${k + 1}`;
      mkdirSync(d, { recursive: true });
      writeFileSync(`${d}/myid`, `${k + 1}\n`);
      writeFileSync(`${d}/zoo.cfg`, `${[`dataDir=${d}`, `clientPort=${zb + k}`, 'clientPortAddress=127.0.0.1', 'tickTime=200', 'initLimit=10', 'syncLimit=5', ...lines, ...admin(zb, k)].join('\n')}\n`);
      return launch(['server', '--config', `${d}/zoo.cfg`, '--admin-server', 'true']);
    });
    stops.push(() => Promise.all(zabkit.map((l) => (l.proc.kill('SIGTERM'), l.exited))));
    const apacheServers = await apache;
    stops.push(() => Promise.all(apacheServers.map((s) => s.stop())));
    out.apache = await serving(ab);
    out.zabkit = await serving(zb);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(stops.map((s) => s()));
    if (dir) removeDir(dir);
  });
  return out;
}

/** Wait (polling srvr) until the three members on base.. serve as one leader and followers; then give the leader some writes. */
async function serving(base: number): Promise<EnsembleSide> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const modes = await Promise.all([0, 1, 2].map((k) => fourLetter(base + k, 'srvr').then((t) => /Mode: (\w+)/.exec(t)?.[1] ?? '', () => '')));
    const leader = modes.indexOf('leader');
    if (leader >= 0 && modes.filter((m) => m === 'follower').length === 2) {
      const follower = modes.indexOf('follower');
      const c = await connect(`127.0.0.1:${base + leader}`);
      await Promise.all(Array.from({ length: 10 }, (_, i) => c.create(`/w${i}`, Buffer.from('x'))));
      await c.close();
      return { leader: { port: base + leader, adminPort: base + 300 + leader }, follower: { port: base + follower, adminPort: base + 300 + follower } };
    }
    if (Date.now() > deadline) throw new Error(`no leader and two followers on ${base}..: ${modes.join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
