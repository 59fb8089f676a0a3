// Runs one list of commands through a zkCli-like shell (Apache's zkCli.sh or `zabkit cli`) on its
// stdin and cuts the output into one piece per command, so two shells can be compared command by
// command. After each command come two markers that work connected or not: `printwatches` (a
// line on stdout) and an unknown command `zkmark-N` (its message on stderr). Watch events are
// printed by another thread in zkCli, so they may land before, after or inside the next command's
// output: they are taken out of stdout and compared as one sequence. Zxids, session ids and times are
// replaced by their structure: the first zxid seen is Z1, the next new one Z2, and so on.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ZKCLI } from '../shell/harness.ts';

const ZABKIT = join(import.meta.dirname, '..', '..', 'bin', 'zabkit.mjs');

export interface Piece {
  readonly command: string;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ShellRun {
  /** What was printed before the first command (connecting, the welcome). */
  readonly banner: string;
  readonly pieces: readonly Piece[];
  /** Every watch event, in order. */
  readonly events: readonly string[];
  /** How many `WATCHER::` lines announced them. */
  readonly watcherLines: number;
  readonly exitCode: number | null;
}

/** `redo @k` stands for the history number of the k-th command of the list (markers count in the history), `redo @prev` for the one before. */
const lineFor = (cmd: string, i: number): string => cmd.replace(/^redo @(\d+|prev)$/, (_, k: string) => `redo ${(k === 'prev' ? i - 1 : Number(k)) * 3}`);

/** The script fed to the shell: each command, then its two markers. `${HOST}` is the shell's own server. */
export function script(commands: readonly string[], host: string): string {
  return commands.map((c, i) => `${lineFor(c, i).replaceAll('${HOST}', host)}\nprintwatches\nzkmark-${i}\n`).join('');
}

export function runShell(kind: 'apache' | 'zabkit', host: string, input: string, args: readonly string[] = []): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const [cmd, argv] = kind === 'apache' ? [ZKCLI ?? 'zkCli.sh', ['-server', host, ...args]] : [process.execPath, [ZABKIT, 'cli', '-server', host, ...args]];
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 120000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
    p.stdin.end(input);
  });
}

/** Lines the two shells print for reasons of their own: the JVM's logging, zkCli's line editor and version. */
const noise = (l: string): boolean => l.startsWith('SLF4J:') || l === 'JLine support is disabled';

/** Replaces zxids, session ids and times by their structure; the server's address by HOST. */
export function normalizer(host: string): (text: string) => string {
  const zxids = new Map<string, string>();
  const sessions = new Map<string, string>();
  const name = (m: Map<string, string>, prefix: string, v: string) => {
    if (!m.has(v)) m.set(v, `${prefix}${m.size + 1}`);
    return m.get(v)!;
  };
  return (text) =>
    text
      .replaceAll(host, 'HOST')
      .replace(/^((?:c|m|p)Zxid = )(0x[0-9a-f]+)$/gm, (_, k: string, v: string) => `${k}${name(zxids, 'Z', v)}`)
      .replace(/^(ephemeralOwner = )(0x[0-9a-f]+)$/gm, (_, k: string, v: string) => (v === '0x0' ? `${k}0x0` : `${k}${name(sessions, 'S', v)}`))
      .replace(/^((?:c|m)time = )(\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} \S+ \d{4})$/gm, (_, k: string, v: string) => `${k}${v.endsWith(' 1970') ? v : '<time>'}`)
      .replace(/^ZooKeeper CLI version: .*$/gm, 'ZooKeeper CLI version: <version>');
}

/**
 * Watch events out of stdout: zkCli prints `WATCHER::` and the event as two lines from its event
 * thread, and the main thread's output may come between them, so each is taken out as a line.
 */
export function takeEvents(stdout: string): { rest: string; events: string[]; watcherLines: number } {
  const events: string[] = [];
  let watcherLines = 0;
  const rest = stdout
    .split('\n')
    .filter((l) => {
      if (l === 'WATCHER::') return void watcherLines++, false;
      if (l.startsWith('WatchedEvent ')) return void events.push(l), false;
      return !noise(l);
    })
    .join('\n');
  return { rest, events, watcherLines };
}

/** Runs `commands` through one shell and cuts its output into pieces. */
export async function runCommands(kind: 'apache' | 'zabkit', host: string, commands: readonly string[]): Promise<ShellRun> {
  const r = await runShell(kind, host, script(commands, host));
  const norm = normalizer(host);
  const taken = takeEvents(r.stdout);
  const stdout = norm(taken.rest);
  const events = taken.events;
  const stderr = norm(
    r.stderr
      .split('\n')
      .filter((l) => !noise(l))
      .join('\n'),
  );
  const outParts = stdout.split(/^printwatches is (?:on|off)$/m);
  const errParts = stderr.split(/^Command not found: Command not found zkmark-\d+$/m);
  const tidy = (s: string) => s.replace(/\n{2,}/g, '\n').trim();
  return {
    banner: tidy(outParts[0]!.split('\n').slice(0, 2).join('\n')),
    pieces: commands.map((command, i) => ({
      command,
      // The first piece holds the banner before the first command's output.
      stdout: tidy(i === 0 ? outParts[0]!.split('\n').slice(2).join('\n') : outParts[i] ?? '<missing>'),
      stderr: tidy(errParts[i] ?? '<missing>'),
    })),
    events: events.map((e) => norm(e)),
    watcherLines: taken.watcherLines,
    exitCode: r.code,
  };
}
