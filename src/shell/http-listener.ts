// One small HTTP listener (node:http) for the AdminServer and the metrics endpoint: bound on its
// own address and port; a bind that fails (the port taken) is a warning and the server goes on
// without it, as ZooKeeper's AdminServer and Prometheus provider do.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Logger } from './logger.ts';

export class HttpListener {
  private server: HttpServer | null = null;

  constructor(
    private readonly what: string,
    private readonly handle: (req: IncomingMessage, res: ServerResponse) => void,
    private readonly logger: Logger,
    /** Connections idle this long are closed (admin.idleTimeout). */
    private readonly idleTimeoutMs = 30_000,
  ) {}

  /** Listen; resolves with the port bound, or null (warned) when the bind failed. */
  async listen(host: string, port: number): Promise<number | null> {
    const server = createServer((req, res) => {
      try {
        this.handle(req, res);
      } catch (e) {
        this.logger.warn(`${this.what}: request failed`, { url: req.url, error: (e as Error).message });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      }
    });
    server.keepAliveTimeout = this.idleTimeoutMs;
    server.setTimeout(this.idleTimeoutMs);
    const bound = await new Promise<number | null>((resolve) => {
      server.once('error', (e) => {
        this.logger.warn(`${this.what} did not start; going on without it`, { address: host, port, error: e.message });
        resolve(null);
      });
      server.listen(port, host, () => {
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
    if (bound !== null) {
      this.server = server;
      this.logger.info(`${this.what} listening`, { address: host, port: bound });
    }
    return bound;
  }

  close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}

/** Jetty's answer to a path nothing serves. */
export function notFound(res: ServerResponse, path: string): void {
  res.writeHead(404, { 'Content-Type': 'text/html;charset=iso-8859-1' });
  res.end(`<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>\n<title>Error 404 Not Found</title>\n</head>\n<body><h2>HTTP ERROR 404 Not Found</h2>\n<table>\n<tr><th>URI:</th><td>${path.replace(/[<>&"]/g, '')}</td></tr>\n<tr><th>STATUS:</th><td>404</td></tr>\n<tr><th>MESSAGE:</th><td>Not Found</td></tr>\n</table>\n</body>\n</html>\n`);
}
