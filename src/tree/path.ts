// Paths (TREE-1, TREE-2).

/** Why a path is invalid, or undefined when it is valid (TREE-1). */
export function pathProblem(path: string): string | undefined {
  if (path.length === 0) return 'path is empty';
  if (path[0] !== '/') return 'path must start with /';
  if (path.length === 1) return undefined;
  if (path.endsWith('/')) return 'path must not end with /';
  let segmentStart = 1;
  for (let i = 1; i <= path.length; i++) {
    const c = i < path.length ? path.charCodeAt(i) : 0x2f;
    if (c === 0x2f) {
      const segment = path.slice(segmentStart, i);
      if (segment.length === 0) return `empty segment at ${i}`;
      if (segment === '.' || segment === '..') return `relative segment at ${segmentStart}`;
      segmentStart = i + 1;
    } else if (
      c <= 0x1f ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0xd800 && c <= 0xf8ff) ||
      (c >= 0xfff0 && c <= 0xffff)
    ) {
      return `invalid character U+${c.toString(16).padStart(4, '0')} at ${i}`;
    }
  }
  return undefined;
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
