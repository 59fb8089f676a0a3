// A command's flags as zkCli reads them (Apache Commons CLI's DefaultParser): options anywhere
// among the arguments, `-v5` as `-v 5`, `-se` as `-s -e`, a negative number as a value, `--`
// ending the options; the same errors, in the same words, for an unknown flag, a flag without its
// value, or a flag group given twice or not at all.

export interface OptionSpec {
  readonly name: string;
  readonly hasArg: boolean;
  readonly description: string;
}

/** Flags of which at most one may be given (exactly one if required). */
export interface OptionGroupSpec {
  readonly names: readonly string[];
  readonly required: boolean;
}

export interface Options {
  readonly options: readonly OptionSpec[];
  readonly groups?: readonly OptionGroupSpec[];
}

export interface CommandLine {
  /** The arguments that are not flags, the command's name first. */
  readonly args: readonly string[];
  has(name: string): boolean;
  value(name: string): string | undefined;
}

/** A ParseException of Commons CLI: zkCli prints it with its Java class name. */
export class OptionParseError extends Error {
  constructor(
    readonly javaClass: string,
    message: string,
  ) {
    super(`org.apache.commons.cli.${javaClass}: ${message}`);
  }
}

const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;

export function parseOptions(spec: Options, tokens: readonly string[]): CommandLine {
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const values = new Map<string, string | undefined>();
  const args: string[] = [];
  const chosen = new Map<OptionGroupSpec, string>();
  let pending = null as OptionSpec | null;
  let onlyArgs = false;

  const isShortOption = (t: string): boolean => {
    if (!t.startsWith('-') || t.length < 2) return false;
    const name = t.slice(1, t.includes('=') ? t.indexOf('=') : undefined);
    return byName.has(name) || (name.length > 0 && byName.has(name[0]!));
  };
  const checkPendingValue = () => {
    if (pending && values.get(pending.name) === undefined) throw new OptionParseError('MissingArgumentException', `Missing argument for option: ${pending.name}`);
  };
  const take = (o: OptionSpec) => {
    checkPendingValue();
    for (const g of spec.groups ?? []) {
      if (!g.names.includes(o.name)) continue;
      const already = chosen.get(g);
      if (already !== undefined && already !== o.name) {
        throw new OptionParseError('AlreadySelectedException', `The option '${o.name}' was specified but an option from this group has already been selected: '${already}'`);
      }
      chosen.set(g, o.name);
    }
    if (!values.has(o.name)) values.set(o.name, undefined);
    pending = o.hasArg ? o : null;
  };
  const unknown = (t: string) => {
    if (t.startsWith('-') && t.length > 1) throw new OptionParseError('UnrecognizedOptionException', `Unrecognized option: ${t}`);
    args.push(t);
  };

  for (const t of tokens) {
    if (onlyArgs) {
      args.push(t);
    } else if (pending && (!isShortOption(t) || NEGATIVE_NUMBER.test(t)) && !t.startsWith('--')) {
      if (values.get(pending.name) === undefined) values.set(pending.name, t);
      pending = null;
    } else if (t === '--') {
      onlyArgs = true;
    } else if (t === '-') {
      args.push(t);
    } else if (t.startsWith('--')) {
      unknown(t); // no long options in zkCli's commands
    } else if (t.startsWith('-')) {
      const name = t.slice(1);
      const exact = byName.get(name);
      if (exact) take(exact);
      else if (name.length === 1) unknown(t);
      else {
        // Concatenated: flags one letter each, or a flag and its value (`-v5`).
        for (let i = 1; i < t.length; i++) {
          const o = byName.get(t[i]!);
          if (!o) {
            unknown(t);
            break;
          }
          take(o);
          if (o.hasArg && i + 1 < t.length) {
            values.set(o.name, t.slice(i + 1));
            pending = null;
            break;
          }
        }
      }
    } else {
      pending = null;
      args.push(t);
    }
  }
  checkPendingValue();
  const missing = (spec.groups ?? []).filter((g) => g.required && !chosen.has(g));
  if (missing.length > 0) {
    const text = missing.map((g) => `[${g.names.map((n) => `-${n} ${byName.get(n)?.description ?? ''}`.trimEnd()).join(', ')}]`).join(', ');
    throw new OptionParseError('MissingOptionException', `Missing required option${missing.length === 1 ? '' : 's'}: ${text}`);
  }
  return {
    args,
    has: (n) => values.has(n),
    value: (n) => values.get(n),
  };
}
