// One argument parser for every subcommand: node:util's parseArgs, strict, with errors that name
// the flag ("unknown flag --x", "--x needs a value") rather than parseArgs' own sentences.
import { parseArgs } from 'node:util';

export type FlagSpec = Readonly<Record<string, { readonly type: 'string' | 'boolean' }>>;
export type FlagValues = Readonly<Record<string, string | boolean | undefined>>;

export class UsageError extends Error {}

/** Parse `args` against `spec` (flag names without their dashes); positionals only if allowed. */
export function parseFlags(args: readonly string[], spec: FlagSpec, allowPositionals = false): { values: FlagValues; positionals: string[] } {
  try {
    const r = parseArgs({ args: [...args], options: spec as Record<string, { type: 'string' | 'boolean' }>, strict: true, allowPositionals });
    return { values: r.values as FlagValues, positionals: r.positionals };
  } catch (e) {
    const err = e as Error & { code?: string };
    const named = /'(-[^' ]*)/.exec(err.message)?.[1] ?? '';
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown flag ${named}`);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const flag = named.split(/[ =]/)[0];
      if (/does not take/.test(err.message)) throw new UsageError(`${flag} takes no value`);
      throw new UsageError(/ambiguous/.test(err.message) ? `${flag} needs a value (one starting with '-' as ${flag}=-…)` : `${flag} needs a value`);
    }
    if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument ${/'([^']*)'/.exec(err.message)?.[1] ?? ''}`);
    throw new UsageError(err.message);
  }
}

/** A flag's value as a whole number ≥ 0, or `d` when absent. */
export function wholeNumber(flag: string, v: string | boolean | undefined, d: number): number {
  if (v === undefined) return d;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`--${flag} needs a whole number, got '${String(v)}'`);
  return n;
}
