// "host:port,host:port/chroot": the servers to try and the subtree the session lives in.
// As ZooKeeper's ConnectStringParser: a missing port is 2181, the chroot applies to every path
// the client sends and is taken off every path a server sends back; IPv6 hosts in brackets.

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface ConnectString {
  readonly hosts: readonly HostPort[];
  /** '' when there is none; else "/a/b" (no trailing slash). */
  readonly chroot: string;
}

export function parseConnectString(s: string): ConnectString {
  const slash = s.indexOf('/');
  const hostPart = slash < 0 ? s : s.slice(0, slash);
  let chroot = slash < 0 ? '' : s.slice(slash);
  if (chroot === '/') chroot = '';
  if (chroot && (chroot.endsWith('/') || chroot.includes('//'))) throw new Error(`connect string ${JSON.stringify(s)}: chroot ${chroot} is not a valid path`);
  const hosts = hostPart
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean)
    .map((h): HostPort => {
      const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(h);
      const port = m?.[2] === undefined ? 2181 : Number(m[2]);
      if (!m || port < 1 || port > 65535) throw new Error(`connect string ${JSON.stringify(s)}: bad host ${JSON.stringify(h)}`);
      return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
    });
  if (!hosts.length) throw new Error(`connect string ${JSON.stringify(s)} names no server`);
  return { hosts, chroot };
}

/** A Fisher–Yates shuffle (clients spread over the servers, as ZooKeeper's StaticHostProvider). */
export function shuffled<T>(xs: readonly T[], random: () => number = Math.random): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The server's path for a client path. */
export const toServer = (chroot: string, path: string): string => (chroot ? (path === '/' ? chroot : chroot + path) : path);

/** The client's path for a server path (a path outside the chroot is returned as is). */
export function fromServer(chroot: string, path: string): string {
  if (!chroot) return path;
  if (path === chroot) return '/';
  return path.startsWith(chroot + '/') ? path.slice(chroot.length) : path;
}
