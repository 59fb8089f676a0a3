// `zabkit cli` beside Apache's zkCli 3.8 (Debian's zkCli.sh): the same list of commands through
// each, on a fresh standalone server of its own system, compared command by command (stdout and
// stderr apart), with the watch events as one sequence; then single commands from the argument
// list (output and exit code); then what only a terminal shows: the prompt, tab completion, the
// line history, typed into a pseudo-terminal.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apacheInstalled } from '../../conformance/apache.ts';
import { ZkShell } from '../../src/cli/shell.ts';
import { suiteCluster, until, type SuiteCluster } from '../client/harness.ts';
import { COMMAND_LIST } from './command-list.ts';
import { peerMissing, ZKCLI } from '../shell/harness.ts';
import { normalizer, runCommands, runShell, takeEvents, type Piece } from './compare.ts';

const PROPS = { 'zookeeper.extendedTypesEnabled': 'true' };
/**
 * zkCli's quit closes the session and exits at once: its event thread prints the Closed event
 * before the exit in some runs and not in others. zabkit's quit never prints it; Apache's last
 * event is compared without it.
 */
const withoutQuitClose = (events: readonly string[]): readonly string[] =>
  events.at(-1) === 'WatchedEvent state:Closed type:None path:null' ? events.slice(0, -1) : events;
const hostOf = (b: SuiteCluster): string => `127.0.0.1:${b.cluster.nodes[0]!.clientPort}`;

/** getEphemerals lists the session's nodes in the server's set order (a Java HashSet in Apache): compared as sets. */
const comparable = (p: Piece): Piece =>
  p.command.startsWith('getEphemerals') ? { ...p, stdout: p.stdout.replace(/^\[(.*)\]$/, (_, l: string) => `[${l.split(', ').sort().join(', ')}]`) } : p;

describe.skipIf(peerMissing('Apache ZooKeeper and its zkCli', apacheInstalled() && ZKCLI))('zabkit cli beside Apache zkCli 3.8', () => {
  const apache = suiteCluster('apache', 'cli', () => ({ size: 1, props: PROPS }));
  const zabkit = suiteCluster('zabkit', 'cli', () => ({ size: 1, props: PROPS }));

  it('every command of the list prints what zkCli prints, on stdout and on stderr, with the same watch events', async () => {
    const [a, z] = await Promise.all([runCommands('apache', hostOf(apache), COMMAND_LIST), runCommands('zabkit', hostOf(zabkit), COMMAND_LIST)]);
    expect(z.banner).toBe(a.banner);
    expect(a.pieces.length).toBe(COMMAND_LIST.length);
    // The list did what it says on Apache's side: nodes made, failures met, a stat shown.
    const all = (k: 'stdout' | 'stderr') => a.pieces.map((p) => p[k]).join('\n');
    expect(all('stderr')).toContain('Created /a/seq-0000000001');
    expect(all('stderr')).toContain('version No is not valid : /a');
    expect(all('stdout')).toContain('numChildren = ');
    for (let i = 0; i < a.pieces.length; i++) expect(comparable(z.pieces[i]!), `command ${i}: ${COMMAND_LIST[i]}`).toEqual(comparable(a.pieces[i]!));
    expect(a.events.length).toBeGreaterThan(10);
    expect(z.events).toEqual(withoutQuitClose(a.events));
    expect([a.watcherLines, z.watcherLines]).toEqual([a.events.length, z.events.length]);
    expect(z.exitCode).toBe(a.exitCode);
  }, 120000);

  it('one command from the argument list: the same output and exit code (0, 1 on a failure, 127 for an unknown command)', async () => {
    const cases = [['ls', '/'], ['get', '/nope'], ['stat', '/zookeeper'], ['bogus'], ['create', '-x', '/y'], ['getAllChildrenNumber', '/zookeeper']];
    for (const args of cases) {
      const [a, z] = await Promise.all([runShell('apache', hostOf(apache), '', args), runShell('zabkit', hostOf(zabkit), '', args)]);
      const seen = (r: { stdout: string; stderr: string; code: number | null }, host: string) => {
        const norm = normalizer(host);
        const { rest, events } = takeEvents(r.stdout);
        const lines = (s: string) => norm(s).split('\n').filter((l) => l !== '' && !l.startsWith('SLF4J:')).join('\n');
        return { args, out: lines(rest), events, err: lines(r.stderr), code: r.code };
      };
      expect(seen(z, hostOf(zabkit))).toEqual(seen(a, hostOf(apache)));
    }
  }, 120000);

  it('a deleteall that fails says so (zkCli races its own report)', async () => {
    const r = await runShell('zabkit', hostOf(zabkit), 'deleteall /zookeeper\nls /zookeeper\nquit\n');
    expect(r.stderr).toContain('Failed to delete some node(s) in the subtree!');
    expect(r.stdout).toContain('[config, quota]');
  });

  it('on a terminal: the prompt names the server, the state and the command number; tab completes commands and paths', async () => {
    const lines: string[] = [];
    const shell = new ZkShell({ server: hostOf(zabkit), timeout: 10000, readOnly: false, waitForConnection: true }, { out: (l) => lines.push(l), err: (l) => lines.push(l) }, 'test');
    await shell.connect(hostOf(zabkit));
    try {
      expect(shell.prompt).toBe(`[zk: ${hostOf(zabkit)}(CONNECTED) 0] `);
      expect(await shell.complete('get')).toEqual([['get', 'getAcl', 'getAllChildrenNumber', 'getEphemerals'], 'get']);
      expect(await shell.complete('ls /zoo')).toEqual([['/zookeeper'], '/zoo']);
      expect(await shell.complete('ls /zookeeper/')).toEqual([['/zookeeper/config', '/zookeeper/quota'], '/zookeeper/']);
      expect(await shell.complete('ls /zookeeper/q')).toEqual([['/zookeeper/quota'], '/zookeeper/q']);
      expect(await shell.complete('ls /nope/x')).toEqual([[], '/nope/x']);
      await shell.executeLine('create /tab-x');
      expect(shell.prompt).toBe(`[zk: ${hostOf(zabkit)}(CONNECTED) 1] `);
      await shell.executeLine('close');
      expect(shell.prompt).toBe(`[zk: ${hostOf(zabkit)}(CLOSED) 2] `);
      expect(lines).toContain('Created /tab-x');
    } finally {
      await shell.end();
    }
  });
});

/** `zabkit cli` on a pseudo-terminal (util-linux `script`): keys typed one by one once the screen shows what the last one did. */
class Terminal {
  private text = '';
  private readonly p: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  constructor(host: string) {
    this.p = spawn('script', ['-qfc', `${process.execPath} ${join(import.meta.dirname, '..', '..', 'bin', 'zabkit.mjs')} cli -server ${host}`, '/dev/null'], { env: { ...process.env, TERM: 'xterm' } });
    this.p.stdout.on('data', (d: Buffer) => (this.text += d.toString()));
    this.exited = new Promise((r) => this.p.on('close', r));
  }
  /** The screen's text without cursor movements. */
  get screen(): string {
    return this.text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  }
  count(s: string): number {
    return this.screen.split(s).length - 1;
  }
  until(what: string, f: () => boolean): Promise<void> {
    return until(`the terminal to show ${what}`, f, 20000);
  }
  type(keys: string): void {
    this.p.stdin.write(keys);
  }
  kill(): void {
    if (this.p.exitCode === null) this.p.kill('SIGKILL');
  }
}

describe.skipIf(peerMissing('script (util-linux, a pseudo-terminal)', existsSync('/usr/bin/script')))('zabkit cli on a terminal', () => {
  const zabkit = suiteCluster('zabkit', 'cli-tty', () => ({ size: 1 }));

  it('tab completes paths and commands, the up arrow brings the last line back, Ctrl-C leaves', async () => {
    const t = new Terminal(hostOf(zabkit));
    try {
      await t.until('the session', () => t.screen.includes('state:SyncConnected'));
      t.type('ls /zoo');
      await t.until('the typed line', () => t.screen.includes('ls /zoo'));
      t.type('\t');
      await t.until('the completed path', () => t.screen.includes('ls /zookeeper'));
      t.type('\r');
      await t.until('the listing', () => t.count('[config, quota]') === 1);
      t.type('\x1b[A');
      await t.until('the recalled line', () => t.count('ls /zookeeper') >= 2);
      t.type('\r');
      await t.until('the listing again', () => t.count('[config, quota]') === 2);
      // Each key once the last one shows (keys that arrive together are a paste: a tab in one is typed, not completed).
      t.type('ge');
      await t.until('the typed word', () => t.screen.endsWith('] ge'));
      t.type('\t');
      await t.until('the common prefix', () => t.screen.endsWith('] get'));
      t.type('\t');
      await t.until('the choices', () => t.screen.includes('getAllChildrenNumber') && t.screen.includes('getEphemerals'));
      expect(t.screen).toMatch(/\[zk: 127\.0\.0\.1:\d+\(CONNECTED\) 2\] /);
      t.type('\x03');
      expect(await t.exited).toBe(0);
    } finally {
      t.kill();
    }
  }, 60000);
});
