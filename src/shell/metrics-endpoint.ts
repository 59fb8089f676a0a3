// The Prometheus endpoint (ZooKeeper's PrometheusMetricsProvider): GET /metrics on
// metricsProvider.httpHost:httpPort answers the text exposition format 0.0.4, the gauges sampled
// at that moment. With exportJvmInfo, the process_* family a Prometheus client exports for any
// process (the JVM's own jvm_* have no counterpart in node).
import { readFileSync } from 'node:fs';
import type { MetricsConfig } from './config.ts';
import type { ServerView } from './four-letter.ts';
import { HttpListener, notFound } from './http-listener.ts';
import type { Logger } from './logger.ts';
import type { Family } from './metrics.ts';
import { fileDescriptors, gauges } from './server-figures.ts';

export const CONTENT_TYPE_004 = 'text/plain; version=0.0.4; charset=utf-8';

export class MetricsEndpoint {
  private readonly http: HttpListener;
  port: number | null = null;

  constructor(
    private readonly view: ServerView,
    private readonly config: MetricsConfig,
    logger: Logger,
  ) {
    this.http = new HttpListener('metrics endpoint', (req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (path !== '/metrics') return notFound(res, path);
      res.writeHead(200, { 'Content-Type': CONTENT_TYPE_004 });
      res.end(req.method === 'HEAD' ? undefined : this.text());
    }, logger);
  }

  text(): string {
    return this.view.metrics.exposition(gauges(this.view), this.config.exportJvmInfo ? processFamilies() : []);
  }

  async start(): Promise<number | null> {
    this.port = await this.http.listen(this.config.host, this.config.port);
    return this.port;
  }

  stop(): Promise<void> {
    return this.http.close();
  }
}

/** The standard process_* metrics (Prometheus clients' process collector), from node and /proc. */
function processFamilies(): Family[] {
  const g = (name: string, help: string, value: number, type: Family['type'] = 'gauge'): Family => ({ name, help, type, samples: [{ name, labels: [], value }] });
  const cpu = process.cpuUsage();
  const fd = fileDescriptors();
  const status = (() => {
    try {
      return readFileSync('/proc/self/status', 'utf8');
    } catch {
      return '';
    }
  })();
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return [
    g('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', (cpu.user + cpu.system) / 1e6, 'counter'),
    g('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', Math.floor(Date.now() / 1000 - process.uptime())),
    g('process_open_fds', 'Number of open file descriptors.', fd.open),
    g('process_max_fds', 'Maximum number of open file descriptors.', fd.max),
    g('process_virtual_memory_bytes', 'Virtual memory size in bytes.', kb('VmSize')),
    g('process_resident_memory_bytes', 'Resident memory size in bytes.', kb('VmRSS') || process.memoryUsage().rss),
  ];
}
