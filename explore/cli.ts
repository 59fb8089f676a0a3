// `zabkit explore`: a run in the browser. PATH is a trace directory (`zabkit ensemble --trace`), a
// trace file, or a checker counterexample (`zabkit check --out`); the run is replayed through the
// spec's reducers in Node and shown as one page, served on 127.0.0.1 (the address is printed) or
// written to one self-contained file with --out.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, resolve } from 'node:path';
import { orderRun, runFiles } from '../conformance/replay.ts';
import { parseFlags, UsageError, wholeNumber } from '../src/shell/args.ts';
import { explorePage } from './page.ts';
import { exploreRun, type ExploreRun } from './run.ts';
import { scenarioRun } from './scenario.ts';

export const EXPLORE_HELP = `usage: zabkit explore PATH [--out FILE.html] [--port N]
       zabkit explore --scenario NAME [--out FILE.html] [--port N]
  PATH: a trace directory (zabkit ensemble --trace DIR, zabkit simulate --seed N --trace DIR), one
  trace file, or a checker counterexample (zabkit check --out FILE). --scenario NAME: a walkthrough
  scenario of test/scenarios (a part of its file name), its comments as narration. The run is replayed through the spec's reducers and
  shown as a space-time diagram (a lane per server, an arrow per message) with a stepper (every
  server's state after each step, the messages in flight, the invariants).
  --out FILE.html   write one self-contained page (no server; attach it to a bug report)
  --port N          serve on 127.0.0.1:N (default: a free port); Ctrl-C stops`;

/** The explorer's run for a path (a directory of server-N.ndjson files, or one file). */
export function loadRun(path: string): ExploreRun {
  const files = runFiles(path).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  if (files.length === 0) throw new UsageError(`${path}: no .ndjson trace files`);
  const { run, report } = orderRun(files);
  if (!run) throw new Error(`${path}: ${report.problem!.where}: ${report.problem!.detail}`);
  return exploreRun(run, basename(resolve(path)).replace(/\.ndjson$/, ''), path);
}

/** Serves `page` at / on 127.0.0.1; resolves with the address once listening. */
export function servePage(page: string, port = 0): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(page);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const a = server.address() as { port: number };
      resolveListen({ url: `http://127.0.0.1:${a.port}/`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

export async function runExplore(args: readonly string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseFlags(args, { out: { type: 'string' }, port: { type: 'string' }, scenario: { type: 'string' }, help: { type: 'boolean' } }, true);
  if (values.help) {
    out(EXPLORE_HELP);
    return 0;
  }
  const [path, ...more] = positionals;
  if (typeof values.scenario === 'string' ? positionals.length > 0 : !path || more.length) {
    throw new UsageError('give one PATH (a trace directory, a trace file or a counterexample), or --scenario NAME');
  }
  const run = typeof values.scenario === 'string' ? scenarioRun(values.scenario) : loadRun(path!);
  const page = explorePage(run);
  const summary = `${run.steps.length} steps, ${run.servers.length} servers, ${run.messages.length} messages${run.ending ? `; ${run.ending}` : ''}`;
  if (typeof values.out === 'string') {
    writeFileSync(values.out, page);
    out(`wrote ${values.out} (${summary})`);
    return 0;
  }
  const port = wholeNumber('port', values.port, 0);
  if (port > 65535) throw new UsageError(`--port ${port}: not a port number`);
  const served = await servePage(page, port);
  out(`zabkit explore: ${summary}\nopen ${served.url} (Ctrl-C stops)`);
  await new Promise<void>((r) => {
    process.once('SIGINT', r);
    process.once('SIGTERM', r);
  });
  await served.close();
  return 0;
}
