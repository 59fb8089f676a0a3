// Paths (TREE-1, TREE-2).

/**
 * Why a path is invalid, or undefined when it is valid (TREE-1). The reasons are ZooKeeper's own
 * client's words (PathUtils), so a shell on top of the client reports them as zkCli does.
 */
export function pathProblem(path: string): string | undefined {
  if (path.length === 0) return 'Path length must be > 0';
  if (path[0] !== '/') return 'Path must start with / character';
  if (path.length === 1) return undefined;
  if (path.endsWith('/')) return 'Path must not end with / character';
  let reason: string | undefined;
  for (let i = 1; i < path.length && reason === undefined; i++) {
    const c = path.charCodeAt(i);
    const prev = path.charCodeAt(i - 1);
    const segmentEnds = i + 1 === path.length || path[i + 1] === '/';
    if (c === 0) reason = `null character not allowed @${i}`;
    else if (c === 0x2f && prev === 0x2f) reason = `empty node name specified @${i}`;
    // `.` or `..` as a whole segment
    else if (c === 0x2e && segmentEnds && (prev === 0x2f || (prev === 0x2e && path[i - 2] === '/'))) reason = `relative paths not allowed @${i}`;
    else if (c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || (c >= 0xfff0 && c <= 0xffff)) reason = `invalid character @${i}`;
  }
  return reason === undefined ? undefined : `Invalid path string "${path}" caused by ${reason}`;
}

export const isValidPath = (path: string): boolean => pathProblem(path) === undefined;

/** The parent of a path; `/` for a top-level node (ZooKeeper's empty parent name is the root). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

export const nameOf = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

export const childPath = (parent: string, name: string): string => (parent === '/' ? `/${name}` : `${parent}/${name}`);

/** TREE-2: the nodes no delete may remove. */
export const RESERVED = new Set(['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config']);

/** The `%010d` suffix of a sequential node (TREE-6); Java's formatting of a negative int included. */
export function sequenceSuffix(counter: number): string {
  return counter < 0 ? `-${String(-counter).padStart(9, '0')}` : String(counter).padStart(10, '0');
}
