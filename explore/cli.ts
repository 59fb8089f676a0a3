// `zabkit explore`: a run in the browser. PATH… is a trace directory (`zabkit ensemble --trace`,
// `zabkit simulate --trace`), a run's trace files, or a checker counterexample (`zabkit check
// --out`); --scenario NAME a walkthrough scenario; --model the interactive explorer of the model.
// A run is replayed through the spec's reducers in Node and shown as one page, served on
// 127.0.0.1 (the address is printed) or written to one self-contained file with --out.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, resolve } from 'node:path';
import { orderRun, runFiles } from '../conformance/replay.ts';
import { parseFlags, UsageError, wholeNumber } from '../src/shell/args.ts';
import { explorePage } from './page.ts';
import { exploreRun, type ExploreRun } from './run.ts';
import { scenarioRun } from './scenario.ts';
import { ModelSession, SEARCH_TARGETS, type SearchTarget } from './model-session.ts';
import { parse as parseCheckFlags } from '../model/check-cli.ts';

export const EXPLORE_HELP = `usage: zabkit explore PATH… [--out FILE.html] [--port N]
       zabkit explore --scenario NAME [--out FILE.html] [--port N]
       zabkit explore --model [check flags: --servers N --txns N --crashes N --mutant NAME …] [--port N]
  PATH…: a trace directory (zabkit ensemble --trace DIR, zabkit simulate --seed N --trace DIR), a
  run's trace files, or a checker counterexample (zabkit check --out FILE). --scenario NAME: a walkthrough
  scenario of test/scenarios (a part of its file name), its comments as narration. The run is replayed through the spec's reducers and
  shown as a space-time diagram (a lane per server, an arrow per message) with a stepper (every
  server's state after each step, the messages in flight, the invariants).
  --out FILE.html   write one self-contained page (no server; attach it to a bug report)
  --port N          serve on 127.0.0.1:N (default: a free port); Ctrl-C stops
  --model           the interactive explorer of the model within the checker's bounds: pick the
                    next action, back and forward, find a path to a violation or a sometimes-
                    property (a bounded search), download the path as a trace for zabkit replay`;

/** The explorer's run for its paths: a directory of server-N.ndjson files, one file, or a run's files one by one. */
export function loadRun(...paths: string[]): ExploreRun {
  for (const p of paths) if (!existsSync(p)) throw new UsageError(`${p}: no such file or directory`);
  const files = paths.flatMap((p) => runFiles(p)).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  if (files.length === 0) throw new UsageError(`${paths.join(' ')}: no .ndjson trace files`);
  const { run, report } = orderRun(files);
  if (!run) throw new Error(`${paths.join(' ')}: ${report.problem!.where}: ${report.problem!.detail}`);
  const name = paths.length === 1 ? basename(resolve(paths[0]!)).replace(/\.ndjson$/, '') : basename(resolve(paths[0]!, '..'));
  return exploreRun(run, name, paths.join(' '));
}

/** The interactive explorer's calls: each changes the model session and answers with its run. */
export type Api = (path: string, query: URLSearchParams, method: string) => { status: number; type: string; body: string } | null;

/** Serves the page at / on 127.0.0.1 (and `api` under /api/); resolves with the address once listening. */
export function servePage(page: string | (() => string), port = 0, api?: Api): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    try {
      if (url.pathname === '/' || url.pathname === '/index.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(typeof page === 'string' ? page : page());
        return;
      }
      const answer = url.pathname.startsWith('/api/') && api ? api(url.pathname.slice(5), url.searchParams, req.method ?? 'GET') : null;
      if (answer) {
        res.writeHead(answer.status, { 'content-type': answer.type, 'cache-control': 'no-store' });
        res.end(answer.body);
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    } catch (e) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${(e as Error).message}\n`);
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

/** The model session's calls (pick, back, forward, search; the path as a trace). */
export function modelApi(session: ModelSession): Api {
  const json = () => ({ status: 200, type: 'application/json', body: JSON.stringify(session.run()) });
  return (path, q, method) => {
    if (path === 'trace') return { status: 200, type: 'application/x-ndjson', body: session.trace() };
    if (path === 'run') return json();
    if (method !== 'POST') return null;
    if (path === 'pick') session.pick(Number(q.get('i')));
    else if (path === 'back') session.back();
    else if (path === 'forward') session.forward();
    else if (path === 'search') {
      const t = q.get('target') ?? 'violation';
      if (!(SEARCH_TARGETS as readonly string[]).includes(t)) throw new Error(`no search target '${t}': ${SEARCH_TARGETS.join(', ')}`);
      session.search(t as SearchTarget);
    } else return null;
    return json();
  };
}

export async function runExplore(args: readonly string[], out: (s: string) => void): Promise<number> {
  if (args.includes('--model')) return runModel(args.filter((a) => a !== '--model'), out);
  const { values, positionals } = parseFlags(args, { out: { type: 'string' }, port: { type: 'string' }, scenario: { type: 'string' }, help: { type: 'boolean' } }, true);
  if (values.help) {
    out(EXPLORE_HELP);
    return 0;
  }
  if (typeof values.scenario === 'string' ? positionals.length > 0 : positionals.length === 0) {
    throw new UsageError('give PATH… (a trace directory, a run\'s trace files, or a counterexample), or --scenario NAME');
  }
  const run = typeof values.scenario === 'string' ? scenarioRun(values.scenario) : loadRun(...positionals);
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

/** `--model [check flags] [--port N]`: the interactive explorer, served until Ctrl-C. */
async function runModel(args: readonly string[], out: (s: string) => void): Promise<number> {
  const at = args.indexOf('--port');
  const port = at >= 0 ? wholeNumber('port', args[at + 1], 0) : 0;
  const checkArgs = at >= 0 ? [...args.slice(0, at), ...args.slice(at + 2)] : [...args];
  const parsed = parseCheckFlags(checkArgs);
  if (typeof parsed === 'string') throw new UsageError(parsed);
  const session = new ModelSession(parsed.bounds, parsed.deviation);
  const served = await servePage(() => explorePage(session.run()), port, modelApi(session));
  out(`zabkit explore --model: ${parsed.bounds.servers} servers${parsed.deviation ? `, mutant ${parsed.deviation}` : ''}; open ${served.url} (Ctrl-C stops)`);
  await new Promise<void>((r) => {
    process.once('SIGINT', r);
    process.once('SIGTERM', r);
  });
  await served.close();
  return 0;
}
