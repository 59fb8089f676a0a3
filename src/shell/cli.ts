// `zabkit` entry points: a server, an ensemble of them, their status; and the spec's reducers
// in the simulated world (a scripted walkthrough, your own scenario script, the model checker).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
// model/ and conformance/ are loaded by the subcommands that use them, never by `server`.
import { parseFlags, UsageError } from './args.ts';
import { ConfigError, FLAGS, loadServerConfig } from './config.ts';
import { ENSEMBLE_HELP, runEnsemble, runStatus } from './ensemble.ts';
import { createLogger } from './logger.ts';
import { progressLine } from './progress.ts';
import { Server } from './server.ts';
import { PROJECT_ROOT } from './project-root.ts';

const SCENARIOS = join(import.meta.dirname, '..', '..', 'test', 'scenarios');

const HELP = `zabkit — ZooKeeper's ZAB protocol as pure reducers, checked and run

usage:
  zabkit ensemble [--size 3] [--observers 0] [--base-port 2181] [--data-dir ./data]
                  [--restart-crashed] [--reconfig]
                              a replicated ensemble on 127.0.0.1, one process per server;
                              prints the connection string; Ctrl-C stops it ('zabkit ensemble --help')
  zabkit server [--config zoo.cfg] [--port N] [--data-dir DIR] [flags]
                              one ZooKeeper server that real clients use: standalone, or a
                              member of the ensemble its zoo.cfg's server.N lines describe; reads
                              SERVER_JVMFLAGS/JVMFLAGS' -D properties ('zabkit server --help')
  zabkit status HOST:PORT[,…]  each server's role, epoch, last zxid and connections
  zabkit explore PATH [--out FILE.html]
                              a run in the browser: a space-time diagram and a stepper of a trace
                              directory or a checker counterexample ('zabkit explore --help')
  zabkit cli [-server HOST:PORT] [cmd args…]
                              a shell as Apache's zkCli 3.8 (same commands, flags and output) on
                              zabkit/client; with a command, runs it once ('zabkit cli --help')
  zabkit walkthrough [NAME]   run the protocol scenarios (election, crash, DIFF, TRUNC, SNAP,
                              observer, partition) through the reducers and print what happens
  zabkit scenario FILE        run a scenario script of your own (format: README.md)
  zabkit check [flags]        the bounded model checker ('zabkit check --help'); with --replicas,
                              whole replicas and clients ('zabkit check --replicas --help')
  zabkit simulate [flags]     seeded simulated runs of whole servers under faults, every run
                              checked ('zabkit simulate --help')
  zabkit replay PATH…          judge captured traces (a run's directory, or one file) against the
                              spec: effects, effect contract, invariants ('zabkit replay --help')
  zabkit differential [flags] seeded client workloads against Apache ZooKeeper and zabkit, every
                              reply and watch event compared ('zabkit differential --help')
  zabkit logdump FILE [--json]  every record of a txn log, Apache's or zabkit's; damage named
  zabkit snapdump FILE [--json] every znode, session and the digest of a snapshot, Apache's or zabkit's
  zabkit import --from-apache DATA_DIR --to DIR   an Apache ZooKeeper data directory as zabkit's storage
  zabkit export --from DIR --to-apache DATA_DIR   zabkit's storage as an Apache ZooKeeper 3.8 data directory
  zabkit --version            the version (or zabkit version)
  zabkit help                 this text

Every subcommand takes --help; a bad flag or argument is named, then that subcommand's usage
(exit 2). walkthrough, scenario and check run the reducers in zabkit's simulated world: the same
code the servers run over TCP.`;

const SERVER_HELP = `usage: zabkit server [--config zoo.cfg] [flags] — one ZooKeeper server: standalone, or a member of
the ensemble its zoo.cfg's server.N lines describe. The -D system properties of SERVER_JVMFLAGS and
JVMFLAGS are read as zkServer.sh passes them to java; a zoo.cfg key wins over its property as in
Apache ZooKeeper. Every flag sets a setting and wins over both:
${Object.entries(FLAGS).map(([f, k]) => `  ${f.padEnd(28)} ${k}`).join('\n')}
Each key zabkit does not implement is logged at start with its file and line (README.md,
"Operations"). A bad value is refused with its file and line (exit 2).`;

/**
 * Each subcommand's usage: printed for --help (exit 0) and after a usage error (exit 2). model/,
 * conformance/ and the others are loaded only when asked.
 */
const USAGE: Readonly<Record<string, () => string | Promise<string>>> = {
  server: () => SERVER_HELP,
  ensemble: () => ENSEMBLE_HELP,
  status: () => 'usage: zabkit status HOST:PORT[,HOST:PORT…] — each server\'s role, epoch, last zxid and connections (srvr)',
  walkthrough: () => 'usage: zabkit walkthrough [NAME] — the protocol scenarios of test/scenarios, or those whose file name contains NAME, run through the reducers and printed step by step',
  scenario: () => 'usage: zabkit scenario FILE — run a scenario script of your own (its format: README.md, "Scenario scripts")',
  check: async () => (await import('../../model/check-cli.ts')).CHECK_HELP,
  'check --replicas': async () => (await import('../../model/replica-cli.ts')).REPLICA_HELP,
  simulate: async () => (await import('../../sim/cli.ts')).SIMULATE_HELP,
  replay: async () => (await import('../../conformance/replay.ts')).REPLAY_HELP,
  differential: async () => (await import('../../conformance/differential/cli.ts')).DIFFERENTIAL_HELP,
  explore: async () => (await import('../../explore/cli.ts')).EXPLORE_HELP,
  cli: async () => (await import('../cli/shell.ts')).CLI_HELP,
  version: () => 'usage: zabkit version (or zabkit --version) — the version of zabkit',
};

/** The subcommands with a usage text: each takes --help (exit 0) and names a bad flag (exit 2). */
export const SUBCOMMANDS: readonly string[] = Object.keys(USAGE);

const packageVersion = (): string => JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).version;

function scenarioFiles(): string[] {
  return readdirSync(SCENARIOS).filter((f) => f.endsWith('.txt')).sort();
}

async function run(text: string, out: (s: string) => void): Promise<number> {
  const { runScript } = await import('../../model/script.ts');
  const { rendered, violations } = runScript(text);
  out(rendered);
  if (violations.length) {
    out(`invariant violations:\n${violations.map((v) => `  ${v.id} ${v.detail}`).join('\n')}`);
    return 1;
  }
  return 0;
}

/** zkCli's own options before its command (zkCli ignores others; zabkit names them, exit 2). */
function checkCliOptions(args: readonly string[]): void {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) return;
    if (['-server', '-timeout', '-client-configuration'].includes(a)) i++;
    else if (a !== '-r' && a !== '-waitforconnection') throw new UsageError(`unknown flag ${a}`);
  }
}

export async function main(args: readonly string[], out: (s: string) => void = console.log): Promise<number> {
  const [cmd = 'help', ...rest] = args;
  const usage = cmd === 'check' && rest.includes('--replicas') ? 'check --replicas' : cmd === '--version' ? 'version' : cmd;
  try {
    // One convention for every subcommand: --help prints its usage, exit 0.
    if (rest.includes('--help') && usage in USAGE) {
      out(await USAGE[usage]!());
      return 0;
    }
    switch (cmd) {
      case 'server':
        return await runServer(rest, out);
      case 'ensemble':
        return await runEnsemble(rest, out);
      case 'status':
        return await runStatus(parseFlags(rest, { help: { type: 'boolean' } }, true).positionals, out);
      case 'walkthrough': {
        const wanted = parseFlags(rest, { help: { type: 'boolean' } }, true).positionals[0];
        const files = scenarioFiles().filter((f) => !wanted || f.includes(wanted));
        if (files.length === 0) throw new UsageError(`no scenario matches ${wanted}; there are: ${scenarioFiles().join(', ')}`);
        out('zabkit: the ZAB reducers in a simulated 3- to 5-server world (the servers run the same code over TCP).\n');
        let code = 0;
        for (const f of files) {
          out(`=== ${f.replace(/\.txt$/, '')} ${'='.repeat(Math.max(0, 70 - f.length))}\n`);
          code = Math.max(code, await run(readFileSync(join(SCENARIOS, f), 'utf8'), out));
        }
        return code;
      }
      case 'scenario': {
        const [file] = parseFlags(rest, { help: { type: 'boolean' } }, true).positionals;
        if (!file) throw new UsageError('give the scenario FILE');
        return await run(readFileSync(file, 'utf8'), out);
      }
      case 'replay':
        return (await import('../../conformance/replay.ts')).runReplay(rest, out);
      case 'differential':
        return await (await import('../../conformance/differential/cli.ts')).runDifferential(rest, out);
      case 'simulate':
        return await (await import('../../sim/cli.ts')).runSimulate(rest, out, progressLine());
      case 'check': {
        // Progress on stderr: rewritten in place on a terminal, a line every few seconds when piped.
        const progress = progressLine();
        try {
          if (rest.includes('--replicas')) return (await import('../../model/replica-cli.ts')).runReplicaCheck(rest, out, progress);
          return (await import('../../model/check-cli.ts')).runCheck(rest, out, progress);
        } finally {
          progress.clear();
        }
      }
      case 'explore':
        return await (await import('../../explore/cli.ts')).runExplore(rest, out);
      case 'logdump':
        return await (await import('../ops/dump.ts')).runLogDump(rest, out);
      case 'snapdump':
        return await (await import('../ops/dump.ts')).runSnapDump(rest, out);
      case 'import':
        return await (await import('../ops/migrate.ts')).runImport(rest, out);
      case 'export':
        return await (await import('../ops/migrate.ts')).runExport(rest, out);
      case 'cli':
        checkCliOptions(rest);
        return await (await import('../cli/shell.ts')).runCli(rest, `zabkit-${packageVersion()}`);
      case '--version':
      case 'version':
        parseFlags(rest, {});
        out(`zabkit ${packageVersion()}`);
        return 0;
      case 'help':
      case '--help':
      case '-h':
        out(HELP);
        return 0;
      default:
        out(`zabkit: unknown command '${cmd}'\n\n${HELP}`);
        return 2;
    }
  } catch (e) {
    // A usage error: what is wrong, then the subcommand's usage, exit 2.
    if (e instanceof UsageError) {
      out(`zabkit ${usage}: ${e.message}${usage in USAGE ? `\n\n${await USAGE[usage]!()}` : ''}`);
      return 2;
    }
    out(`zabkit: ${(e as Error).message}`);
    return 1;
  }
}

/** `zabkit server`: runs until SIGTERM or SIGINT, then stops cleanly (exit 0). */
async function runServer(args: readonly string[], out: (s: string) => void): Promise<number> {
  let config;
  let notes;
  try {
    ({ config, notes } = loadServerConfig(args));
  } catch (e) {
    if (e instanceof ConfigError) {
      out(`zabkit server: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const logger = createLogger(config.logLevel, { server: config.myid });
  // Every key zabkit does not implement, one line each (config-keys.ts says what happens instead).
  for (const n of notes) logger[n.level](n.msg, { ...(n.key ? { key: n.key } : {}), ...(n.where ? { where: n.where } : {}) });
  const server = new Server(config, logger);
  let port: number;
  try {
    port = await server.start();
  } catch (e) {
    out(`zabkit server: cannot start: ${(e as Error).message}`);
    await server.stop().catch(() => {});
    return 1;
  }
  await new Promise<void>((resolve) => {
    let signalled = false;
    const stop = (signal: string) => {
      if (signalled) {
        // A second signal: the operator will not wait for a clean stop.
        logger.warn('second signal: exiting without a clean stop', { signal });
        process.exit(1);
      }
      signalled = true;
      logger.info('signal', { signal });
      void server.stop().then(resolve);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    // Tests only: SIGUSR2 cuts this server off from its peers, or heals it (a partition); with
    // ZABKIT_FAULT_HOOK=silent the links stay open and drop everything (packets lost, no reset).
    const hook = process.env.ZABKIT_FAULT_HOOK;
    if (hook === '1' || hook === 'silent') process.on('SIGUSR2', () => server.toggleIsolation(hook === 'silent'));
    // Said once the handlers are in place: whoever reads it may send SIGTERM at once.
    out(`zabkit server ${config.myid} serving on ${config.clientPortAddress}:${port} (data in ${config.dataDir})`);
  });
  return process.exitCode === undefined ? 0 : Number(process.exitCode);
}
