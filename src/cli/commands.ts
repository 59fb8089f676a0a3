// zkCli 3.8's commands on zabkit/client: the same names, flags, checks, output and messages (stdout
// for what a command shows, stderr for what went wrong and for `Created …`), so scripts written
// against zkCli read zabkit cli's output unchanged. The shell's own commands (connect, history,
// redo, printwatches, quit) are in shell.ts.
import { EphemeralOnLocalSessionError, InvalidACLError, InvalidPathError, NodeExistsError, NoNodeError, op, ZooKeeperError, type ACL, type CreateMode, type Watcher, type WatcherType, type ZooKeeperClient } from '../client/index.ts';
import { formatStats, LIMIT_NODE, limitPath, parseStats, QUOTA_ROOT, statPath } from '../tree/quota.ts';
import { pathProblem } from '../tree/path.ts';
import { aclEntry, failureMessage, keeperMessage, parseAcl, statLines } from './format.ts';
import { parseOptions, type CommandLine, type Options } from './options.ts';
import { readFileSync } from 'node:fs';

/** A command's failure: zkCli prints the message on stderr and takes the exit code (1, or 127 for an unknown command). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface CommandContext {
  readonly zk: ZooKeeperClient;
  /** A line on stdout. */
  out(line: string): void;
  /** A line on stderr. */
  err(line: string): void;
  /** The shell's watcher: every watch a command sets reports to it. */
  readonly watcher: Watcher;
  readonly version: string;
}

export interface Command {
  readonly name: string;
  /** What follows the name in the usage line. */
  readonly usage: string;
  readonly options?: Options;
  run(ctx: CommandContext, cl: CommandLine, tokens: string[]): Promise<void>;
}

const OPEN_ACL: readonly ACL[] = [{ id: { scheme: 'world', id: 'anyone' }, perms: 31 }];

/** Java's Integer.parseInt / Long.parseLong: an optional sign and digits, in range; null otherwise. */
export function javaInt(s: string | undefined, bits: 32 | 64 = 32): number | null {
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return null;
  const n = BigInt(s);
  const max = bits === 32 ? 2n ** 31n : 2n ** 63n;
  return n >= -max && n < max ? Number(n) : null;
}

const usageOf = (c: Command): string => `${c.name} ${c.usage}`;

/** A call's failure as zkCli reports it: a path the client refused (MalformedPathException), else its sentence for the code. */
const wrap = (e: unknown): CliError => new CliError(e instanceof InvalidPathError ? e.reason : failureMessage(e));

async function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw wrap(e);
  }
}

function checkPath(path: string): void {
  const problem = pathProblem(path);
  if (problem) throw new CliError(problem);
}

/** The old form `cmd path watch`: the third token is read as -w, with zkCli's notice. */
function oldWatchForm(ctx: CommandContext, c: Command, cl: CommandLine, tokens: string[], instead: string): CommandLine {
  if (cl.args.length <= 2) return cl;
  tokens[2] = '-w';
  ctx.err(`'${c.name} path [watch]' has been deprecated. Please use '${instead}' instead.`);
  return parseOptions(c.options!, tokens);
}

function needArgs(c: Command, cl: CommandLine, n: number): void {
  if (cl.args.length < n) throw new CliError(usageOf(c));
}

function versionOf(cl: CommandLine): number {
  if (!cl.has('v')) return -1;
  const v = javaInt(cl.value('v'));
  if (v === null) throw new CliError('-v argument must be an int value');
  return v;
}

/** ZKUtil.visitSubTreeDFS: the root (read first, with the watch), then each level's sorted children before their subtrees. */
async function visitTree(zk: ZooKeeperClient, path: string, watch: Watcher | undefined, visit: (p: string) => Promise<void> | void): Promise<void> {
  checkPath(path);
  await call(() => zk.getData(path, { watch }));
  await visit(path);
  const walk = async (p: string): Promise<void> => {
    let children: string[];
    try {
      children = [...(await zk.getChildren(p, { watch })).children].sort();
    } catch (e) {
      if (e instanceof NoNodeError) return; // gone meanwhile
      throw wrap(e);
    }
    const paths = children.map((c) => (p === '/' ? `/${c}` : `${p}/${c}`));
    for (const c of paths) await visit(c);
    for (const c of paths) await walk(c);
  };
  await walk(path);
}

/** ZKUtil.listSubTreeBFS: the root, then breadth first in the server's order. */
async function subTree(zk: ZooKeeperClient, root: string): Promise<string[]> {
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    const node = tree[i]!;
    for (const c of (await zk.getChildren(node)).children) tree.push(node === '/' ? `/${c}` : `${node}/${c}`);
  }
  return tree;
}

const flags = (...names: string[]): Options['options'] => names.map((name) => ({ name, hasArg: false, description: '' }));

// ------------------------------------------------------------------ the data commands

const create: Command = {
  name: 'create',
  usage: '[-s] [-e] [-c] [-t ttl] path [data] [acl]',
  options: { options: [...flags('e', 's', 'c'), { name: 't', hasArg: true, description: 'ttl' }] },
  async run(ctx, cl) {
    needArgs(this, cl, 2);
    const [e, s, c, t] = ['e', 's', 'c', 't'].map((f) => cl.has(f));
    if (c && (e || s)) throw new CliError('-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.');
    const ttl = t ? javaInt(cl.value('t'), 64) : 0;
    if (ttl === null) throw new CliError('-t argument must be a long value');
    if (t && e) throw new CliError('TTLs cannot be used with Ephemeral znodes');
    if (t && c) throw new CliError('TTLs cannot be used with Container znodes');
    const mode: CreateMode =
      e && s ? 'ephemeralSequential' : e ? 'ephemeral' : s ? (t ? 'persistentSequentialWithTTL' : 'persistentSequential') : c ? 'container' : t ? 'persistentWithTTL' : 'persistent';
    if (t && (ttl <= 0 || ttl > 0xffffffffff)) throw new CliError(`ttl must be positive and cannot be larger than: ${0xffffffffff}`);
    const [, path, data, aclText] = cl.args as [string, string, string?, string?];
    const acl = aclText === undefined ? OPEN_ACL : parseAcl(aclText, (m) => ctx.err(m));
    try {
      const made = await ctx.zk.create(path, data === undefined ? null : data, { mode, acl, ...(t ? { ttl } : {}) });
      ctx.err(`Created ${made.path}`);
    } catch (err) {
      if (err instanceof EphemeralOnLocalSessionError) ctx.err('Unable to create ephemeral node on a local session');
      if (err instanceof InvalidACLError) ctx.err(keeperMessage(err.code, err.path));
      throw wrap(err);
    }
  },
};

const del: Command = {
  name: 'delete',
  usage: '[-v version] path',
  options: { options: [{ name: 'v', hasArg: true, description: 'version' }] },
  async run(ctx, cl) {
    needArgs(this, cl, 2);
    if (cl.args.length > 2) ctx.err(`'delete path [version]' has been deprecated. Please use 'delete [-v version] path' instead.`);
    const version = versionOf(cl);
    await call(() => ctx.zk.delete(cl.args[1]!, { version }));
  },
};

const deleteAll: Command = {
  name: 'deleteall',
  usage: 'path [-b batch size]',
  options: { options: [{ name: 'b', hasArg: true, description: 'batch size' }] },
  async run(ctx, cl) {
    needArgs(this, cl, 2);
    const batch = cl.has('b') ? javaInt(cl.value('b')) : 1000;
    if (batch === null) throw new CliError('-b argument must be an int value');
    const root = cl.args[1]!;
    checkPath(root);
    const tree = await call(() => subTree(ctx.zk, root));
    // Leaves first, the root last, `batch` deletes to a multi (all in one if batch < 1); the first failed multi ends it.
    const ops = tree.reverse().map((p) => op.delete(p));
    const size = batch > 0 ? batch : ops.length;
    for (let i = 0; i < ops.length; i += size) {
      const ok = await ctx.zk.multi(ops.slice(i, i + size)).then(
        () => true,
        () => false,
      );
      if (!ok) {
        ctx.err('Failed to delete some node(s) in the subtree!');
        return;
      }
    }
  },
};

const set: Command = {
  name: 'set',
  usage: '[-s] [-v version] path data',
  options: { options: [...flags('s'), { name: 'v', hasArg: true, description: 'version' }] },
  async run(ctx, cl) {
    needArgs(this, cl, 3);
    const version = versionOf(cl);
    const stat = await call(() => ctx.zk.setData(cl.args[1]!, cl.args[2]!, { version }));
    if (cl.has('s')) ctx.out(statLines(stat));
  },
};

const get: Command = {
  name: 'get',
  usage: '[-s] [-w] path',
  options: { options: flags('s', 'w') },
  async run(ctx, cl0, tokens) {
    needArgs(this, cl0, 2);
    const cl = oldWatchForm(ctx, this, cl0, tokens, 'get [-s] [-w] path');
    const r = await call(() => ctx.zk.getData(cl.args[1]!, { watch: cl.has('w') ? ctx.watcher : undefined }));
    // zkCli shows a node without a value as `null` (an empty value is an empty line)
    ctx.out(r.nullData ? 'null' : r.data.toString('utf8'));
    if (cl.has('s')) ctx.out(statLines(r.stat));
  },
};

const LS_HELP = ['usage: ls [options] path', ' -?   help', ' -R   recurse', ' -s   stat', ' -w   watch'];

const ls: Command = {
  name: 'ls',
  usage: '[-s] [-w] [-R] path',
  options: { options: flags('?', 's', 'w', 'R') },
  async run(ctx, cl0, tokens) {
    if (cl0.has('?')) for (const l of LS_HELP) ctx.out(l);
    const cl = oldWatchForm(ctx, this, cl0, tokens, 'ls [-w] path');
    needArgs(this, cl, 2);
    const path = cl.args[1]!;
    const watch = cl.has('w') ? ctx.watcher : undefined;
    if (cl.has('R')) {
      await visitTree(ctx.zk, path, watch, (p) => ctx.out(p));
      return;
    }
    const r = await call(() => ctx.zk.getChildren(path, { watch }));
    ctx.out(`[${[...r.children].sort().join(', ')}]`);
    if (cl.has('s')) ctx.out(statLines(r.stat));
  },
};

const stat: Command = {
  name: 'stat',
  usage: '[-w] path',
  options: { options: flags('w') },
  async run(ctx, cl0, tokens) {
    needArgs(this, cl0, 2);
    const cl = oldWatchForm(ctx, this, cl0, tokens, 'stat [-w] path');
    const path = cl.args[1]!;
    const s = await call(() => ctx.zk.exists(path, { watch: cl.has('w') ? ctx.watcher : undefined }));
    if (s === null) throw new CliError(`Node does not exist: ${path}`);
    ctx.out(statLines(s));
  },
};

const sync: Command = {
  name: 'sync',
  usage: 'path',
  options: { options: [] },
  async run(ctx, cl) {
    needArgs(this, cl, 2);
    const path = cl.args[1]!;
    checkPath(path);
    const rc = await ctx.zk.sync(path, { timeout: 30000 }).then(
      () => 0,
      (e: unknown) => {
        if (e instanceof ZooKeeperError && !(e instanceof InvalidPathError)) return e.code;
        throw wrap(e);
      },
    );
    ctx.out(rc === 0 ? 'Sync is OK' : `Sync has failed. rc=${rc}`);
  },
};

// ------------------------------------------------------------------ ACLs and auth

const getAcl: Command = {
  name: 'getAcl',
  usage: '[-s] path',
  options: { options: flags('s') },
  async run(ctx, cl) {
    needArgs(this, cl, 2);
    const r = await call(() => ctx.zk.getACL(cl.args[1]!));
    for (const a of r.acl) ctx.out(aclEntry(a));
    if (cl.has('s')) ctx.out(statLines(r.stat));
  },
};

const setAcl: Command = {
  name: 'setAcl',
  usage: '[-s] [-v version] [-R] path acl',
  options: { options: [...flags('s', 'R'), { name: 'v', hasArg: true, description: 'version' }] },
  async run(ctx, cl) {
    needArgs(this, cl, 3);
    const path = cl.args[1]!;
    const acl = parseAcl(cl.args[2]!, (m) => ctx.err(m));
    const version = versionOf(cl);
    if (cl.has('R')) {
      // Each node's failure is printed (without a newline, as zkCli does) and the walk goes on.
      let pending = '';
      await visitTree(ctx.zk, path, undefined, async (p) => {
        await ctx.zk.setACL(p, acl, { version }).catch((e: unknown) => {
          pending += e instanceof ZooKeeperError ? keeperMessage(e.code, p) : String(e);
        });
      });
      if (pending) ctx.out(pending);
      return;
    }
    const s = await call(() => ctx.zk.setACL(path, acl, { version }));
    if (cl.has('s')) ctx.out(statLines(s));
  },
};

const addAuth: Command = {
  name: 'addauth',
  usage: 'scheme auth',
  options: { options: [] },
  async run(ctx, cl) {
    needArgs(this, cl, 2);
    // A refused credential ends the session: the shell hears AuthFailed as an event, as zkCli does.
    await ctx.zk.addAuth(cl.args[1]!, cl.args[2] ?? null).catch(() => undefined);
  },
};

const whoami: Command = {
  name: 'whoami',
  usage: '',
  async run(ctx) {
    const ids = await call(() => ctx.zk.whoAmI());
    ctx.out('Auth scheme: User');
    for (const i of ids) ctx.out(`${i.scheme}: ${i.id}`);
  },
};

// ------------------------------------------------------------------ quotas (nodes under /zookeeper/quota)

async function exists(zk: ZooKeeperClient, p: string): Promise<boolean> {
  return (await zk.exists(p)) !== null;
}

/** Whether some node under the quota'd path's mirror (itself excluded) has a limit: setquota refuses a parent of one. */
async function childWithQuota(zk: ZooKeeperClient, path: string): Promise<string | null> {
  const mirror = `${QUOTA_ROOT}${path}`;
  if (!(await exists(zk, mirror))) return null;
  let found: string | null = null;
  await visitTree(zk, mirror, undefined, async (q) => {
    if (found || q === mirror) return;
    const children = await zk.getChildren(q).then((r) => r.children, (): string[] => []);
    if (children.includes(LIMIT_NODE)) found = q.slice(QUOTA_ROOT.length);
  });
  return found;
}

async function parentWithQuota(zk: ZooKeeperClient, path: string): Promise<string | null> {
  const parts = path.split('/');
  let q = QUOTA_ROOT;
  for (let i = 1; i < parts.length - 1; i++) {
    q += `/${parts[i]}`;
    const children = await zk.getChildren(q).then((r) => r.children, () => null);
    if (children === null || children.length === 0) return null;
    if (children.includes(LIMIT_NODE)) return q.slice(QUOTA_ROOT.length);
  }
  return null;
}

/** -n -b -N -B, one of them at most: with a value (setquota, one required) or without (delquota). */
const quotaFlags = (withValue: boolean): Options => ({
  options: [
    ['n', 'num soft quota'],
    ['b', 'bytes soft quota'],
    ['N', 'num hard quota'],
    ['B', 'bytes hard quota'],
  ].map(([name, description]) => ({ name: name!, hasArg: withValue, description: description! })),
  groups: [{ names: ['n', 'b', 'N', 'B'], required: withValue }],
});

const setQuota: Command = {
  name: 'setquota',
  usage: '-n|-b|-N|-B val path',
  options: quotaFlags(true),
  async run(ctx, cl) {
    needArgs(this, cl, 2);
    const path = cl.args[1]!;
    if (path.startsWith(QUOTA_ROOT)) {
      ctx.err(`cannot set a quota under the path: ${QUOTA_ROOT}`);
      return;
    }
    const quota = new Map<string, number>([
      ['count', -1],
      ['bytes', -1],
      ['countHardLimit', -1],
      ['byteHardLimit', -1],
    ]);
    for (const [flag, key, min, bits] of [
      ['n', 'count', 1, 32],
      ['b', 'bytes', 0, 64],
      ['N', 'countHardLimit', 1, 32],
      ['B', 'byteHardLimit', 0, 64],
    ] as const) {
      if (!cl.has(flag)) continue;
      const v = javaInt(cl.value(flag), bits);
      if (v === null) {
        ctx.err('NumberFormatException happens when parsing the option value');
        return;
      }
      if (v < min) {
        ctx.err(min === 1 ? 'the num quota must be greater than zero' : 'the bytes quota must be greater than or equal to zero');
        return;
      }
      quota.set(key, v);
    }
    const zk = ctx.zk;
    checkPath(path);
    if (!(await call(() => exists(zk, path)))) throw new CliError(`${path} does not exist.`);
    await call(async () => {
      const child = await childWithQuota(zk, path);
      if (child) throw new CliError(`${path} has a child ${child} which has a quota`);
      const parent = await parentWithQuota(zk, path);
      if (parent) throw new CliError(`${path} has a parent ${parent} which has a quota`);
      // The mirror path under /zookeeper/quota, made node by node.
      let q = QUOTA_ROOT;
      for (const part of path.split('/').slice(1)) {
        q += `/${part}`;
        if (!(await exists(zk, q))) {
          await zk.create(q).catch((e: unknown) => {
            if (!(e instanceof NodeExistsError)) throw e; // made meanwhile by another client: fine
          });
        }
      }
      const limits = limitPath(path);
      const stats = statPath(path);
      let wanted: Map<string, number>;
      if (!(await exists(zk, limits))) {
        await zk.create(limits, formatStats(quota));
        await zk.create(stats, formatStats(new Map([['count', 0], ['bytes', 0]])));
        wanted = new Map(parseStats((await zk.getData(limits)).data));
      } else {
        wanted = new Map(parseStats((await zk.getData(limits)).data));
        for (const [k, v] of quota) if (v > -1) wanted.set(k, v);
      }
      const used = parseStats((await zk.getData(stats)).data);
      const get = (m: ReadonlyMap<string, number>, k: string) => m.get(k) ?? -1;
      const below = (soft: string, hard: string, usedKey: string) =>
        (get(wanted, soft) > -1 && get(wanted, soft) < get(used, usedKey)) || (get(wanted, hard) > -1 && get(wanted, hard) < get(used, usedKey));
      if (below('count', 'countHardLimit', 'count')) ctx.out(`[Warning]: the count quota you create is less than the existing count:${get(used, 'count')}`);
      if (below('bytes', 'byteHardLimit', 'bytes')) ctx.out(`[Warning]: the bytes quota you create is less than the existing bytes:${get(used, 'bytes')}`);
      if (await exists(zk, limits)) await zk.setData(limits, formatStats(wanted));
    });
  },
};

/** StatsTrack's text of a quota or usage node. */
const statsText = (data: Uint8Array | null): string => new TextDecoder().decode(formatStats(parseStats(data)));

const listQuota: Command = {
  name: 'listquota',
  usage: 'path',
  options: { options: [] },
  async run(ctx, cl) {
    needArgs(this, cl, 2);
    const path = cl.args[1]!;
    ctx.err(`absolute path is ${limitPath(path)}`);
    try {
      const limit = await ctx.zk.getData(limitPath(path));
      const used = await ctx.zk.getData(statPath(path));
      ctx.out(`Output quota for ${path} ${statsText(limit.data)}`);
      ctx.out(`Output stat for ${path} ${statsText(used.data)}`);
    } catch (e) {
      if (e instanceof NoNodeError) ctx.err(`quota for ${path} does not exist.`);
      else throw wrap(e);
    }
  },
};

const delQuota: Command = {
  name: 'delquota',
  usage: '[-n|-b|-N|-B] path',
  options: quotaFlags(false),
  async run(ctx, cl) {
    needArgs(this, cl, 2);
    const path = cl.args[1]!;
    const zk = ctx.zk;
    const mirror = `${QUOTA_ROOT}${path}`;
    try {
      if (!(await exists(zk, limitPath(path)))) {
        ctx.out(`Quota does not exist for ${path}`);
        return;
      }
      const limits = new Map(parseStats((await zk.getData(limitPath(path))).data));
      const which = (['n', 'b', 'N', 'B'] as const).filter((f) => cl.has(f));
      if (which.length === 0) {
        // The whole quota: the mirror's children, then each now empty ancestor up to /zookeeper/quota.
        for (const c of (await zk.getChildren(mirror)).children) await zk.delete(`${mirror}/${c}`);
        for (let q = mirror; q !== QUOTA_ROOT && (await zk.getChildren(q)).children.length === 0; q = q.slice(0, q.lastIndexOf('/'))) await zk.delete(q);
        return;
      }
      const key = { n: 'count', b: 'bytes', N: 'countHardLimit', B: 'byteHardLimit' } as const;
      for (const f of which) limits.set(key[f], -1);
      await zk.setData(limitPath(path), formatStats(limits));
    } catch (e) {
      if (e instanceof CliError) throw e;
      if (e instanceof NoNodeError) ctx.err(`quota for ${path} does not exist.`);
      else throw wrap(e);
    }
  },
};

// ------------------------------------------------------------------ watches, sessions, the ensemble

const addWatch: Command = {
  name: 'addWatch',
  usage: '[-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE',
  options: { options: [{ name: 'm', hasArg: true, description: '' }] },
  async run(ctx, cl) {
    if (cl.args.length !== 2) throw new CliError(usageOf(this));
    const m = cl.has('m') ? cl.value('m')!.toUpperCase() : 'PERSISTENT_RECURSIVE';
    if (m !== 'PERSISTENT' && m !== 'PERSISTENT_RECURSIVE') throw new CliError(usageOf(this));
    await call(() => ctx.zk.addWatch(cl.args[1]!, m === 'PERSISTENT' ? 'persistent' : 'persistentRecursive', ctx.watcher));
  },
};

const removeWatches: Command = {
  name: 'removewatches',
  usage: 'path [-c|-d|-a] [-l]',
  options: { options: flags('c', 'd', 'a', 'l') },
  async run(ctx, cl) {
    needArgs(this, cl, 2);
    const type: WatcherType = cl.has('c') ? 'children' : cl.has('d') ? 'data' : 'any';
    const path = cl.args[1]!;
    checkPath(path);
    await call(() => ctx.zk.removeWatches(path, type, { local: cl.has('l') }));
  },
};

const getEphemerals: Command = {
  name: 'getEphemerals',
  usage: 'path',
  options: { options: [] },
  async run(ctx, cl) {
    const path = cl.args[1];
    const list = await call(() => (path === undefined ? ctx.zk.getEphemerals() : ctx.zk.getEphemerals(path)));
    ctx.out(`[${list.join(', ')}]`);
  },
};

const getAllChildrenNumber: Command = {
  name: 'getAllChildrenNumber',
  usage: 'path',
  options: { options: [] },
  async run(ctx, cl) {
    needArgs(this, cl, 2);
    ctx.out(String(await call(() => ctx.zk.getAllChildrenNumber(cl.args[1]!))));
  },
};

/** The client addresses of a config's server lines, as `version host:port,…` (QuorumServer's client address). */
export function clientConfig(config: string): string {
  let version = '';
  const addrs: [number, string][] = [];
  for (const line of config.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === 'version') version = value;
    if (!key.startsWith('server.')) continue;
    const client = value.split(';')[1];
    if (!client) continue;
    addrs.push([Number(key.slice(7)), client.includes(':') ? client : `0.0.0.0:${client}`]);
  }
  return `${version} ${addrs.sort((a, b) => a[0] - b[0]).map(([, a]) => a).join(',')}`;
}

const config: Command = {
  name: 'config',
  usage: '[-c] [-w] [-s]',
  options: { options: flags('s', 'w', 'c') },
  async run(ctx, cl) {
    const r = await call(() => ctx.zk.getConfig({ watch: cl.has('w') ? ctx.watcher : undefined }));
    const text = r.nullData ? 'null' : r.data.toString('utf8');
    ctx.out(cl.has('c') ? clientConfig(text) : text);
    if (cl.has('s')) ctx.out(statLines(r.stat));
  },
};

const reconfig: Command = {
  name: 'reconfig',
  usage:
    '[-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | [-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]',
  options: {
    options: [
      { name: 's', hasArg: false, description: 'stats' },
      { name: 'v', hasArg: true, description: 'required current config version' },
      { name: 'file', hasArg: true, description: 'path of config file to parse for membership' },
      { name: 'members', hasArg: true, description: 'comma-separated list of config strings for non-incremental reconfig' },
      { name: 'add', hasArg: true, description: 'comma-separated list of config strings for new servers' },
      { name: 'remove', hasArg: true, description: 'comma-separated list of server IDs to remove' },
    ],
  },
  async run(ctx, cl) {
    const whole = cl.has('file') || cl.has('members');
    if (!whole && !cl.has('add') && !cl.has('remove')) throw new CliError(usageOf(this));
    let fromConfig = -1n;
    if (cl.has('v')) {
      const v = cl.value('v')!;
      if (!/^[+-]?[0-9a-fA-F]+$/.test(v)) throw new CliError('-v must be followed by a long (configuration version)');
      fromConfig = BigInt(`0x${v.replace(/^\+/, '')}`);
    }
    if (whole && (cl.has('add') || cl.has('remove'))) {
      throw new CliError("Can't use -file or -members together with -add or -remove (mixing incremental and non-incremental modes is not allowed)");
    }
    if (cl.has('file') && cl.has('members')) throw new CliError("Can't use -file and -members together (conflicting non-incremental modes)");
    const list = (f: string) => (cl.has(f) ? cl.value(f)!.toLowerCase().split(',') : undefined);
    let newMembers = list('members');
    if (cl.has('file')) {
      const file = cl.value('file')!;
      try {
        newMembers = readFileSync(file, 'utf8')
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l.startsWith('server.'));
        if (newMembers.length === 0) throw new Error(': no server.N lines');
      } catch (e) {
        throw new CliError(`Error processing ${file}${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const r = await call(() => ctx.zk.reconfig({ joining: list('add'), leaving: list('remove'), newMembers, fromConfig }));
    ctx.out(`Committed new configuration:\n${r.config}`);
    if (cl.has('s')) ctx.out(statLines(r.stat));
  },
};

const version: Command = {
  name: 'version',
  usage: '',
  options: { options: [] },
  async run(ctx, cl) {
    if (cl.args.length > 1) throw new CliError(usageOf(this));
    ctx.out(`ZooKeeper CLI version: ${ctx.version}`);
  },
};

const close: Command = {
  name: 'close',
  usage: '',
  async run(ctx) {
    await ctx.zk.close();
  },
};

/** The commands that act on the connection's session, by name. */
export const COMMANDS: ReadonlyMap<string, Command> = new Map(
  [
    close,
    create,
    del,
    deleteAll,
    set,
    get,
    ls,
    getAcl,
    setAcl,
    stat,
    sync,
    setQuota,
    listQuota,
    delQuota,
    addAuth,
    reconfig,
    config,
    removeWatches,
    getEphemerals,
    getAllChildrenNumber,
    version,
    addWatch,
    whoami,
  ].map((c) => [c.name, c]),
);

/** Parses a command's tokens (its name first) with its flags and runs it. */
export async function runCommand(c: Command, ctx: CommandContext, tokens: string[]): Promise<void> {
  const cl = c.options ? parseOptions(c.options, tokens) : { args: tokens, has: () => false, value: () => undefined };
  await c.run(ctx, cl, tokens);
}

export { usageOf };
