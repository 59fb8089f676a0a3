// The AdminServer (ZooKeeper's JettyAdminServer): HTTP on admin.serverAddress:admin.serverPort.
// GET {admin.commandURL} lists the commands, a link each; GET {commandURL}/<name or alias>
// answers the command in JSON (admin-commands.ts), query parameters as its arguments (stmk's
// traceMask). Always status 200, as ZooKeeper: an unknown command is named in "error".
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminConfig } from './config.ts';
import { primaryNames, runCommand } from './admin-commands.ts';
import type { ServerView } from './four-letter.ts';
import { HttpListener, notFound } from './http-listener.ts';
import { jacksonJson } from './jackson-json.ts';
import type { Logger } from './logger.ts';

export class AdminServer {
  private readonly http: HttpListener;
  /** The port bound, once listening (null: off, or the bind failed). */
  port: number | null = null;

  constructor(
    private readonly view: ServerView,
    private readonly config: AdminConfig,
    logger: Logger,
  ) {
    this.http = new HttpListener('AdminServer', (req, res) => this.handle(req, res), logger, config.idleTimeoutMs);
  }

  async start(): Promise<number | null> {
    this.port = await this.http.listen(this.config.address, this.config.port);
    return this.port;
  }

  stop(): Promise<void> {
    return this.http.close();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const base = this.config.commandUrl.replace(/\/+$/, '');
    const path = url.pathname;
    if (path !== base && !path.startsWith(`${base}/`)) return notFound(res, path);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      return void res.end();
    }
    const name = decodeURIComponent(path.slice(base.length + 1));
    if (name === '') {
      // No content type, as Jetty's servlet writes the list.
      res.writeHead(200);
      return void res.end(primaryNames().map((n) => `<a href="${base}/${n}">${n}</a>\n<br/>\n`).join(''));
    }
    const kwargs: Record<string, string> = {};
    for (const [k, v] of url.searchParams) kwargs[k] ??= v; // the first value of each, as ZooKeeper
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(jacksonJson(runCommand(this.view, name, kwargs)));
  }
}
