// The reducers decide and do nothing else: no clock, randomness, timers or Node built-ins in src/zab.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = join(import.meta.dirname, '..', 'src', 'zab');
const FORBIDDEN = /Date\.now|Math\.random|setTimeout|setInterval|from ['"]node:|require\(|process\./;

describe('src/zab is pure', () => {
  it('uses no clock, randomness, timers, process or Node built-ins', () => {
    const offenders = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        readFileSync(join(dir, f), 'utf8')
          .split('\n')
          .map((line, i) => ({ where: `${f}:${i + 1}`, line }))
          .filter(({ line }) => FORBIDDEN.test(line)),
      );
    expect(offenders).toEqual([]);
  });
});
