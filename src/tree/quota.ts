// Quotas (TREE-24): limits and usage kept as znodes under /zookeeper/quota, in ZooKeeper's
// StatsTrack text format ("count=N,bytes=M" then "=;key=value" for the hard limits).
import { digestAfter } from './digest.ts';
import { childPath } from './path.ts';
import { dataSizeOf, nodeWith } from './node.ts';
import type { Data, Tree, Znode } from './types.ts';

export const QUOTA_ROOT = '/zookeeper/quota';
export const LIMIT_NODE = 'zookeeper_limits';
export const STAT_NODE = 'zookeeper_stats';

export const limitPath = (p: string): string => `${QUOTA_ROOT}${p}/${LIMIT_NODE}`;
export const statPath = (p: string): string => `${QUOTA_ROOT}${p}/${STAT_NODE}`;

/** The quota'd path a /zookeeper/quota/... parent stands for. */
export const quotaTarget = (quotaParent: string): string => quotaParent.slice(QUOTA_ROOT.length);

export type StatsTrack = ReadonlyMap<string, number>;

export function parseStats(data: Data): StatsTrack {
  const out = new Map<string, number>();
  const text = data ? new TextDecoder().decode(data) : '';
  if (text.length === 0) return out;
  for (const pair of text.split(/[,;]+/)) {
    const [key, value] = pair.split('=');
    if (key === undefined || key === '') continue;
    const n = value === undefined || value === '' ? -1 : Number(value);
    out.set(key, Number.isFinite(n) ? n : -1);
  }
  return out;
}

export function formatStats(s: StatsTrack): Uint8Array {
  const extra = [...s.keys()].filter((k) => k !== 'count' && k !== 'bytes').sort();
  let text = `count=${s.get('count') ?? -1},bytes=${s.get('bytes') ?? -1}`;
  if (extra.length > 0) text += `=${extra.map((k) => `;${k}=${s.get(k)}`).join('')}`;
  return new TextEncoder().encode(text);
}

/** The longest quota'd prefix of path, `/` excluded as in ZooKeeper. */
export function quotaPrefixOf(tree: Tree, path: string): string | undefined {
  if (tree.quotas.size === 0) return undefined;
  let best: string | undefined;
  for (const q of tree.quotas) {
    if (q !== '/' && (path === q || path.startsWith(`${q}/`)) && (best === undefined || q.length > best.length)) best = q;
  }
  return best;
}

/** Count and bytes of the subtree at path, the node itself included. */
export function usageOf(nodes: Tree['nodes'], path: string): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  const stack = [path];
  while (stack.length > 0) {
    const p = stack.pop() as string;
    const n = nodes.get(p);
    if (!n) continue;
    count++;
    bytes += dataSizeOf(n);
    for (const c of n.children) stack.push(childPath(p, c));
  }
  return { count, bytes };
}

/** Rewrite a stats node's data in place (no version or zxid change, as ZooKeeper does); the digest follows (TREE-27). */
export function withUsage(t: Tree, prefix: string, dCount: number, dBytes: number, reset = false): Tree {
  const sp = statPath(prefix);
  const node: Znode | undefined = t.nodes.get(sp);
  if (!node) return t;
  const s = new Map(reset ? [] : parseStats(node.data));
  s.set('count', (reset ? 0 : (s.get('count') ?? 0)) + dCount);
  s.set('bytes', (reset ? 0 : (s.get('bytes') ?? 0)) + dBytes);
  const updated = nodeWith(node, { data: formatStats(s) });
  return { ...t, nodes: t.nodes.set(sp, updated), digest: digestAfter(t.digest, sp, node, updated) };
}

/**
 * TREE-24 at prepare time: the write's effect on count and bytes against the limits. Returns
 * 'hard' when enforcement must refuse it, a warning text for a soft limit, or undefined.
 */
export function quotaCheck(tree: Tree, path: string, dCount: number, dBytes: number): { hard: boolean; text: string } | undefined {
  const prefix = quotaPrefixOf(tree, path);
  if (prefix === undefined) return undefined;
  const limitNode = tree.nodes.get(limitPath(prefix));
  const statNode = tree.nodes.get(statPath(prefix));
  if (!limitNode || !statNode) return undefined;
  const limits = parseStats(limitNode.data);
  const usage = parseStats(statNode.data);
  const over = (key: 'count' | 'bytes', hardKey: string, delta: number) => {
    if (delta === 0) return undefined;
    const hard = limits.get(hardKey) ?? -1;
    const soft = limits.get(key) ?? -1;
    if (hard < 0 && soft < 0) return undefined;
    const limit = hard > -1 ? hard : soft;
    const next = (usage.get(key) ?? 0) + delta;
    return next > limit ? { hard: hard > -1, text: `Quota exceeded: ${prefix} [current ${key}=${next}, ${hard > -1 ? 'hard' : 'soft'} limit=${limit}]` } : undefined;
  };
  // ZooKeeper checks count, then bytes: a soft breach of one does not hide a hard breach of the other.
  const breaches = [over('count', 'countHardLimit', dCount), over('bytes', 'byteHardLimit', dBytes)];
  return breaches.find((b) => b?.hard) ?? breaches.find((b) => b !== undefined);
}
