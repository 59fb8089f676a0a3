// `zabkit` entry points. Until the TCP ensemble exists (issues 5 and 6), the commands run the
// spec's reducers in the simulated world: a scripted walkthrough, or your own scenario script.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECK_HELP, runCheck } from '../../model/check-cli.ts';
import { runScript } from '../../model/script.ts';

const SCENARIOS = join(import.meta.dirname, '..', '..', 'test', 'scenarios');

const HELP = `zabkit — ZooKeeper's ZAB protocol as pure reducers, checked and run

usage:
  zabkit walkthrough [NAME]   run the protocol scenarios (election, crash, DIFF, TRUNC, SNAP,
                              observer, partition) through the reducers and print what happens
  zabkit scenario FILE        run a scenario script of your own (format: README.md)
  zabkit check [flags]        the bounded model checker ('zabkit check --help')
  zabkit help                 this text

The real ensemble over TCP (zabkit server / ensemble) is not built yet: today every command runs
the reducers in zabkit's simulated world, the same code the tests and the checker run.`;

function scenarioFiles(): string[] {
  return readdirSync(SCENARIOS).filter((f) => f.endsWith('.txt')).sort();
}

function run(text: string, out: (s: string) => void): number {
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
    switch (cmd) {
      case 'walkthrough': {
        const wanted = rest[0];
        const files = scenarioFiles().filter((f) => !wanted || f.includes(wanted));
        if (files.length === 0) {
          out(`no scenario matches ${wanted}; there are: ${scenarioFiles().join(', ')}`);
          return 2;
        }
        out('zabkit: the ZAB reducers in a simulated 3- to 5-server world (no TCP ensemble yet).\n');
        let code = 0;
        for (const f of files) {
          out(`=== ${f.replace(/\.txt$/, '')} ${'='.repeat(Math.max(0, 70 - f.length))}\n`);
          code = Math.max(code, run(readFileSync(join(SCENARIOS, f), 'utf8'), out));
        }
        return code;
      }
      case 'scenario': {
        if (!rest[0]) {
          out('usage: zabkit scenario FILE');
          return 2;
        }
        return run(readFileSync(rest[0], 'utf8'), out);
      }
      case 'check': {
        if (rest.includes('--help')) {
          out(CHECK_HELP);
          return 0;
        }
        const tty = process.stderr.isTTY;
        const code = runCheck(rest, out, tty ? (line) => process.stderr.write(`\r\x1b[K${line}`) : undefined);
        if (tty) process.stderr.write('\r\x1b[K');
        return code;
      }
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
    out(`zabkit: ${(e as Error).message}`);
    return 1;
  }
}
