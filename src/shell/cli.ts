// `zabkit` entry points: a server, an ensemble of them, their status; and the spec's reducers
// in the simulated world (a scripted walkthrough, your own scenario script, the model checker).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
// model/ and conformance/ are loaded by the subcommands that use them, never by `server`.
import { parseFlags, UsageError } from './args.ts';
import { ConfigError, FLAGS, loadServerConfig } from './config.ts';
import { ENSEMBLE_HELP, runEnsemble, runStatus } from './ensemble.ts';
import { createLogger } from './logger.ts';
import { Server } from './server.ts';

const SCENARIOS = join(import.meta.dirname, '..', '..', 'test', 'scenarios');

const HELP = `zabkit — ZooKeeper's ZAB protocol as pure reducers, checked and run

usage:
  zabkit ensemble [--size 3] [--observers 0] [--base-port 2181] [--data-dir ./data]
                              a replicated ensemble on 127.0.0.1, one process per server;
                              prints the connection string; Ctrl-C stops it
  zabkit server [--config zoo.cfg] [--port N] [--data-dir DIR] [flags]
                              one ZooKeeper server that real clients use: standalone, or a
                              member of the ensemble its zoo.cfg's server.N lines describe;
                              flags: --host --data-log-dir --tick-time --max-client-cnxns
                              --4lw LIST --max-buffer N --snap-count N --snap-retain-count N
                              --purge-interval HOURS --extended-types true --super-digest U:H
                              --log-level debug|info|warn|error --myid N
                              --trace FILE (every reducer step, for 'zabkit replay')
                              --compat 3.8.N (which 3.8 release's answers to follow)
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
  zabkit --version            the version
  zabkit help                 this text

walkthrough, scenario and check run the reducers in zabkit's simulated world: the same code the
servers run over TCP.`;

/** `--help` of the subcommands whose text is not their own module's. */
const SUBCOMMAND_HELP: Readonly<Record<string, string>> = {
  server: `zabkit server [--config zoo.cfg] [flags] — one ZooKeeper server: standalone, or a member of the
ensemble its zoo.cfg's server.N lines describe. Every flag sets a zoo.cfg key and wins over the file:
${Object.entries(FLAGS).map(([f, k]) => `  ${f.padEnd(28)} ${k}`).join('\n')}
A bad value is refused with its file and line (exit 2).`,
  status: 'zabkit status HOST:PORT[,HOST:PORT…] — each server\'s role, epoch, last zxid and connections (srvr)',
  walkthrough: 'zabkit walkthrough [NAME] — the protocol scenarios of test/scenarios, or those whose file name contains NAME, run through the reducers and printed step by step',
  scenario: 'zabkit scenario FILE — run a scenario script of your own (its format: README.md, "Scenario scripts")',
};

const packageVersion = (): string => JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).version;

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

export async function main(args: readonly string[], out: (s: string) => void = console.log): Promise<number> {
  const [cmd = 'help', ...rest] = args;
  try {
    if (rest.includes('--help') && cmd in SUBCOMMAND_HELP) {
      out(SUBCOMMAND_HELP[cmd]!);
      return 0;
    }
    switch (cmd) {
      case 'server':
        return await runServer(rest, out);
      case 'ensemble':
        if (rest.includes('--help')) {
          out(ENSEMBLE_HELP);
          return 0;
        }
        return await runEnsemble(rest, out);
      case 'status':
        return await runStatus(parseFlags(rest, { help: { type: 'boolean' } }, true).positionals, out);
      case 'walkthrough': {
        const wanted = parseFlags(rest, { help: { type: 'boolean' } }, true).positionals[0];
        const files = scenarioFiles().filter((f) => !wanted || f.includes(wanted));
        if (files.length === 0) {
          out(`no scenario matches ${wanted}; there are: ${scenarioFiles().join(', ')}`);
          return 2;
        }
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
        if (!file) {
          out('usage: zabkit scenario FILE');
          return 2;
        }
        return await run(readFileSync(file, 'utf8'), out);
      }
      case 'replay':
        return (await import('../../conformance/replay.ts')).runReplay(rest, out);
      case 'differential':
        return await (await import('../../conformance/differential/cli.ts')).runDifferential(rest, out);
      case 'simulate': {
        const { SIMULATE_HELP, runSimulate } = await import('../../sim/cli.ts');
        if (rest.includes('--help')) {
          out(SIMULATE_HELP);
          return 0;
        }
        return await runSimulate(rest, out);
      }
      case 'check': {
        if (rest.includes('--replicas')) {
          const { REPLICA_HELP, runReplicaCheck } = await import('../../model/replica-cli.ts');
          if (rest.includes('--help')) {
            out(REPLICA_HELP);
            return 0;
          }
          return runReplicaCheck(rest, out);
        }
        const { CHECK_HELP, runCheck } = await import('../../model/check-cli.ts');
        if (rest.includes('--help')) {
          out(CHECK_HELP);
          return 0;
        }
        const tty = process.stderr.isTTY;
        const code = runCheck(rest, out, tty ? (line) => process.stderr.write(`\r\x1b[K${line}`) : undefined);
        if (tty) process.stderr.write('\r\x1b[K');
        return code;
      }
      case 'explore': {
        const { EXPLORE_HELP, runExplore } = await import('../../explore/cli.ts');
        if (rest.includes('--help')) {
          out(EXPLORE_HELP);
          return 0;
        }
        return await runExplore(rest, out);
      }
      case 'cli':
        return await (await import('../cli/shell.ts')).runCli(rest, `zabkit-${packageVersion()}`);
      case '--version':
      case 'version':
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
    out(`zabkit${e instanceof UsageError ? ` ${cmd}` : ''}: ${(e as Error).message}`);
    return e instanceof UsageError ? 2 : 1;
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
  try {
    const port = await server.start();
    out(`zabkit server ${config.myid} serving on ${config.clientPortAddress}:${port} (data in ${config.dataDir})`);
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
  });
  return process.exitCode === undefined ? 0 : Number(process.exitCode);
}
