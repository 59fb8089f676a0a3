import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, SUBCOMMANDS } from '../src/shell/cli.ts';

async function run(args: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await main(args, (s) => lines.push(s));
  return { code, text: lines.join('\n') };
}

describe('zabkit CLI', () => {
  // The data tools (src/ops/) print their own usage; they are held to the same convention.
  const ALL = [...SUBCOMMANDS, 'logdump', 'snapdump', 'import', 'export'];

  it('every subcommand: --help prints its usage (exit 0); a bogus flag is named, then that usage (exit 2); --version and version', async () => {
    expect(SUBCOMMANDS).toEqual(expect.arrayContaining(['server', 'ensemble', 'status', 'walkthrough', 'scenario', 'check', 'check --replicas', 'simulate', 'replay', 'differential', 'explore', 'cli', 'version']));
    for (const cmd of ALL) {
      const argv = cmd.split(' ');
      const help = await run([...argv, '--help']);
      expect(help.code, `${cmd} --help: ${help.text}`).toBe(0);
      expect(help.text, cmd).toContain(`zabkit ${argv[0]}`);
      const bad = await run([...argv, '--bogus-flag']);
      expect(bad.code, `${cmd} --bogus-flag: ${bad.text}`).toBe(2);
      expect(bad.text, cmd).toMatch(new RegExp(`^zabkit ${cmd}: .*--bogus-flag`));
      expect(bad.text, cmd).toContain(help.text); // the usage follows the message
    }
    expect((await run(['check', '--replicas', '--help'])).text).toContain('--server-mutant');
    for (const v of [['--version'], ['version']]) expect(await run(v)).toEqual({ code: 0, text: expect.stringMatching(/^zabkit \d+\.\d+\.\d+$/) });
  });

  it('check --replicas finds a server mutant and prints its path; bad flags exit 2', async () => {
    const found = await run(['check', '--replicas', '--zab', 'ideal', '--por', '--server-mutant', 'claim-on-connect']);
    expect(found.code).toBe(1);
    expect(found.text).toContain('!! INV-22');
    expect((await run(['check', '--replicas', '--clients', 'two'])).code).toBe(2);
  });

  it('walks through every scenario with no invariant violated', async () => {
    const { code, text } = await run(['walkthrough']);
    expect(code).toBe(0);
    expect(text).toContain('=== 01-election-cold-start-3');
    expect(text).toContain('TRUNC to=1.1 [2.1]');
    expect(text).toContain('SNAP [snapshot@1.5] snapshot=1'); // the leader's snapshot entry travels in the SNAP
  });

  it('runs a scenario file and names the line of a bad command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zabkit-cli-'));
    const good = join(dir, 'good.txt');
    writeFileSync(good, 'world voters=1,2,3\nstart 1 2 3\nstabilize\npropose 3 v\nstabilize\nstatus\n');
    const ok = await run(['scenario', good]);
    expect(ok.code).toBe(0);
    expect(ok.text).toMatch(/s3 leading epoch=1 \(broadcast\) .*delivered 1/);
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, 'world voters=1,2,3\nstart 1 2 3\n\nfrobnicate 2\n');
    const err = await run(['scenario', bad]);
    expect(err.code).toBe(1);
    expect(err.text).toBe('zabkit: line 4: unknown command: frobnicate 2');
  });

  it('parses every subcommand\'s flags one way (node:util parseArgs): an unknown flag or a missing value is named, exit 2', async () => {
    const cases: [string[], string][] = [
      [['server', '--data-dir', '/tmp/x', '--bogus', '1'], 'unknown flag --bogus'],
      [['server', '--data-dir'], '--data-dir needs a value'],
      [['ensemble', '--sise', '3'], 'unknown flag --sise'],
      [['ensemble', '--size', '0'], '--size'],
      [['check', '--seed'], '--seed needs a value'],
      [['check', '--json=yes'], '--json takes no value'],
      [['check', '--replicas', '--bogus'], 'unknown flag --bogus'],
      [['replay', '--bogus'], 'unknown flag --bogus'],
      [['differential', '--bogus', '1'], 'unknown flag --bogus'],
      [['walkthrough', '--bogus'], 'unknown flag --bogus'],
      [['walkthrough', 'no-such-scenario'], 'no scenario matches no-such-scenario'],
      [['status', '--bogus'], 'unknown flag --bogus'],
      [['status'], 'give HOST:PORT'],
      [['status', 'nohost'], 'nohost: expected HOST:PORT'],
      [['scenario'], 'give the scenario FILE'],
      [['replay'], 'give PATH'],
      [['explore'], 'give PATH'],
      [['cli', '-server', 'h:1', '-x'], 'unknown flag -x'],
    ];
    for (const [args, message] of cases) {
      const { code, text } = await run(args);
      expect(code, args.join(' ')).toBe(2);
      expect(text, args.join(' ')).toContain(message);
    }
  });

  it('rejects an unknown command with usage', async () => {
    const { code, text } = await run(['bogus']);
    expect(code).toBe(2);
    expect(text).toContain("unknown command 'bogus'");
  });
});
