// `zabkit cli`: Apache ZooKeeper's zkCli 3.8 on zabkit/client. The same start (`-server`,
// `-timeout`, `-r`, `-waitforconnection`, then a command to run once, or none for a shell), the
// same line splitting (quotes group words), history and redo, `printwatches`, `connect`, the same
// `Not connected` when the session is gone, and every watch event printed as zkCli's default
// watcher prints it. On a terminal: a prompt, line editing, history, and tab completion of
// commands and znode paths.
import { createInterface } from 'node:readline';
import { ZooKeeperClient, type ConnectionState, type Watcher } from '../client/index.ts';
import { CliError, COMMANDS, runCommand, usageOf, type CommandContext } from './commands.ts';
import { CLIENT_STATE, eventText, KEEPER_STATE } from './format.ts';
import { OptionParseError } from './options.ts';

export interface ShellIO {
  /** A line on stdout. */
  out(line: string): void;
  /** A line on stderr. */
  err(line: string): void;
}

export interface ShellOptions {
  readonly server: string;
  /** The session timeout asked for, ms (zkCli's -timeout); also how long a command waits for an answer. */
  readonly timeout: number;
  readonly readOnly: boolean;
  readonly waitForConnection: boolean;
}

/** The shell's own commands (their usage text after the name), beside the session's commands. */
const SHELL_COMMANDS: ReadonlyMap<string, string> = new Map([
  ['connect', 'host:port'],
  ['history', ''],
  ['redo', 'cmdno'],
  ['printwatches', 'on|off'],
  ['quit', ''],
]);

/** Every command's name, sorted as Java sorts strings (by UTF-16 code unit: upper case first). */
export const COMMAND_NAMES: readonly string[] = [...SHELL_COMMANDS.keys(), ...COMMANDS.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** zkCli's line splitting: words, or "…"/'…' groups (the quotes dropped). */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/\s*([^"']\S*|"[^"]*"|'[^']*')\s*/g)) {
    const v = m[1]!;
    const quoted = /^(['"])(.*)\1$/s.exec(v);
    out.push(quoted ? quoted[2]! : v);
  }
  return out;
}

/** Java's Integer.decode: decimal, 0x/#-hex or 0-octal, with a sign; null when it is not a number. */
export function javaDecode(s: string): number | null {
  const m = /^([+-]?)(0[xX]|#|0(?=\d))?([0-9a-fA-F]+)$/.exec(s);
  if (!m) return null;
  const radix = m[2] === undefined ? 10 : m[2] === '0' ? 8 : 16;
  const digits = m[3]!;
  if (![...digits].every((c) => Number.isFinite(parseInt(c, radix)))) return null;
  const n = parseInt(digits, radix) * (m[1] === '-' ? -1 : 1);
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : null;
}

/** A session not yet ended (closed, expired, refused its credentials): zkCli's `isAlive`. */
const alive = (zk: ZooKeeperClient | null): zk is ZooKeeperClient => zk !== null && !zk.ended.aborted;

export class ZkShell {
  private zk: ZooKeeperClient | null = null;
  private host = '';
  private readonly history = new Map<number, string>();
  private commandCount = 0;
  private printWatches = true;
  /** Events are not printed once the shell is leaving (zkCli exits without telling its watcher). */
  private leaving = false;
  /** The last command's exit code (0, 1, or 127 for an unknown command): the shell exits with it. */
  exitCode = 0;

  private readonly watcher: Watcher = (e) => this.notify(eventText(e));

  constructor(
    private readonly o: ShellOptions,
    private readonly io: ShellIO,
    private readonly version: string,
  ) {}

  private notify(text: string): void {
    if (!this.printWatches || this.leaving) return;
    this.io.out('\nWATCHER::');
    this.io.out(`\n${text}`);
  }

  /** Opens a session to `host` (closing the current one first). */
  async connect(host: string): Promise<void> {
    if (alive(this.zk)) await this.zk.close();
    this.host = host;
    const zk = new ZooKeeperClient(host, { sessionTimeout: this.o.timeout, readOnly: this.o.readOnly, requestTimeout: this.o.timeout });
    zk.on('state', (s: ConnectionState) => {
      const name = KEEPER_STATE[s];
      if (name) this.notify(eventText({ state: name }));
    });
    this.zk = zk;
    if (this.o.waitForConnection) {
      await zk.waitConnected(this.o.timeout).catch(async () => {
        await zk.close();
        throw new CliError('KeeperErrorCode = ConnectionLoss');
      });
    }
  }

  get prompt(): string {
    return `[zk: ${this.host}(${this.zk ? CLIENT_STATE[this.zk.state] : 'CLOSED'}) ${this.commandCount}] `;
  }

  private usage(): void {
    this.io.err('ZooKeeper -server host:port -client-configuration properties-file cmd args');
    for (const name of COMMAND_NAMES) {
      const c = COMMANDS.get(name);
      this.io.err(`\t${c ? usageOf(c) : `${name} ${SHELL_COMMANDS.get(name)}`}`);
    }
  }

  /** One line typed (or read): added to the history and run. Resolves true when the shell should end (quit). */
  async executeLine(line: string): Promise<boolean> {
    if (line === '') return false;
    this.history.set(this.commandCount, line);
    const quit = await this.processCmd(tokenize(line));
    this.commandCount++;
    return quit;
  }

  /** Runs a command's tokens, printing a failure on stderr and keeping its exit code. */
  async processCmd(tokens: string[]): Promise<boolean> {
    try {
      if (await this.processZKCmd(tokens)) return true; // quit: the exit code stays the last command's
      this.exitCode = 0;
      return false;
    } catch (e) {
      this.exitCode = e instanceof CliError ? e.exitCode : 1;
      this.io.err(e instanceof CliError || e instanceof OptionParseError ? e.message : e instanceof Error ? e.message : String(e));
      return false;
    }
  }

  private async processZKCmd(args: string[]): Promise<boolean> {
    const cmd = args[0];
    if (cmd === undefined) {
      this.usage();
      throw new CliError('No command entered');
    }
    if (!COMMANDS.has(cmd) && !SHELL_COMMANDS.has(cmd)) {
      this.usage();
      throw new CliError(`Command not found: Command not found ${cmd}`, 127);
    }
    if (cmd === 'quit') {
      await this.end(); // zkCli's quit closes and exits before its watcher hears of the close
      return true;
    } else if (cmd === 'redo' && args.length >= 2) {
      const i = javaDecode(args[1]!);
      if (i === null || this.commandCount <= i || i < 0) throw new CliError('Command index out of range');
      const line = this.history.get(i)!;
      const again = tokenize(line);
      if (again[0] === 'redo') throw new CliError('No redoing redos');
      this.history.set(this.commandCount, line);
      if (await this.processCmd(again)) return true;
    } else if (cmd === 'history') {
      for (let i = Math.max(0, this.commandCount - 10); i <= this.commandCount; i++) this.io.out(`${i} - ${this.history.get(i)}`);
    } else if (cmd === 'printwatches') {
      if (args.length === 1) this.io.out(`printwatches is ${this.printWatches ? 'on' : 'off'}`);
      else this.printWatches = args[1] === 'on';
    } else if (cmd === 'connect') {
      await this.connect(args[1] ?? this.host);
    }
    // The rest need a live session (as in zkCli, the shell's own commands end here too).
    if (!alive(this.zk)) {
      this.io.out('Not connected');
      return false;
    }
    const c = COMMANDS.get(cmd);
    if (c) await runCommand(c, this.context(this.zk), args);
    return false;
  }

  private context(zk: ZooKeeperClient): CommandContext {
    return { zk, out: (l) => this.io.out(l), err: (l) => this.io.err(l), watcher: this.watcher, version: this.version };
  }

  /** Completions of the line's last word: a command's name, or a child of the znode path typed so far. */
  async complete(line: string): Promise<[string[], string]> {
    const token = line.endsWith(' ') ? '' : (line.split(' ').at(-1) ?? '');
    if (!token.startsWith('/')) return [COMMAND_NAMES.filter((c) => c.startsWith(token)), token];
    const cut = token.lastIndexOf('/') + 1;
    const dir = cut === 1 ? '/' : token.slice(0, cut - 1);
    const prefix = token.slice(cut);
    if (!alive(this.zk)) return [[], token];
    const children = await this.zk.getChildren(dir, { timeout: 2000 }).then(
      (r) => r.children,
      (): string[] => [],
    );
    return [children.filter((c) => c.startsWith(prefix)).sort().map((c) => token.slice(0, cut) + c), token];
  }

  /** Leaves: ends the session without a word (zkCli prints nothing then). */
  async end(): Promise<void> {
    this.leaving = true;
    await this.zk?.close();
  }
}

export const CLI_HELP = `zabkit cli [-server host:port[,host:port…][/chroot]] [-timeout ms] [-r] [-waitforconnection] [cmd args…]
  Apache ZooKeeper's zkCli 3.8 on zabkit/client: the same commands, flags and output.
  With a command, runs it and exits with its code (0; 1 when it failed; 127 for an unknown one).
  Without one, reads commands (a prompt, history and tab completion on a terminal); 'help' lists them.`;

/** `zabkit cli …`: zkCli's arguments; the exit code. */
export async function runCli(argv: readonly string[], version: string, io: ShellIO = defaultIO): Promise<number> {
  if (argv.includes('--help')) {
    io.out(CLI_HELP);
    return 0;
  }
  const o = { server: 'localhost:2181', timeout: 30000, readOnly: false, waitForConnection: false };
  let command: string[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) io.err(`Error: no argument found for option ${a}`);
      return v;
    };
    if (a === '-server') o.server = next() ?? o.server;
    else if (a === '-timeout') {
      const t = Number(next());
      if (Number.isInteger(t) && t > 0) o.timeout = t;
    } else if (a === '-r') o.readOnly = true;
    else if (a === '-waitforconnection') o.waitForConnection = true;
    else if (a === '-client-configuration') next();
    else if (!a.startsWith('-')) {
      command = argv.slice(i) as string[];
      break;
    }
  }
  io.out(`Connecting to ${o.server}`);
  const shell = new ZkShell(o, io, version);
  try {
    await shell.connect(o.server);
  } catch (e) {
    io.err(e instanceof Error ? e.message : String(e));
    await shell.end();
    return 1;
  }
  if (command) {
    await shell.processCmd(command);
    await shell.end();
    return shell.exitCode;
  }
  io.out('Welcome to ZooKeeper!');
  const tty = process.stdin.isTTY === true;
  const rl = createInterface({
    input: process.stdin,
    output: tty ? process.stdout : undefined,
    terminal: tty,
    historySize: 1000,
    completer: tty ? (line: string, cb: (e: Error | null, r: [string[], string]) => void) => void shell.complete(line).then((r) => cb(null, r), () => cb(null, [[], line])) : undefined,
  });
  const ask = () => {
    if (tty) {
      rl.setPrompt(shell.prompt);
      rl.prompt();
    }
  };
  // Ctrl-C leaves, as it leaves zkCli (Ctrl-D, the end of the input, too).
  rl.on('SIGINT', () => rl.close());
  ask();
  let quit = false;
  for await (const line of rl) {
    if (await shell.executeLine(line)) {
      quit = true;
      break;
    }
    ask();
  }
  rl.close();
  if (!quit) await shell.end();
  return shell.exitCode;
}

const defaultIO: ShellIO = {
  out: (l) => void process.stdout.write(`${l}\n`),
  err: (l) => void process.stderr.write(`${l}\n`),
};
