// The reducers and the data tree decide and do nothing else: no clock, randomness, timers or
// process in src/zab, src/server or src/tree. src/tree may hash (node:crypto's sha1 for digest ids is a
// deterministic function) and convert bytes to one-byte strings (Buffer's latin1 functions); nothing else from Node.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const FORBIDDEN = /Date\.now|Math\.random|setTimeout|setInterval|from ['"]node:|require\(|process\.|new Date\(|Buffer\./;
// tree/node.ts converts bytes to and from one-byte strings with Buffer's latin1 functions (pure, like sha1).
const ALLOWED: Record<string, RegExp | undefined> = { tree: /^import \{ createHash \} from 'node:crypto';$|^const \{ latin1Write, latin1Slice \} = Buffer\.prototype as unknown as Latin1;$/ };

function offenders(layer: string) {
  const dir = join(import.meta.dirname, '..', 'src', layer);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .map((line, i) => ({ where: `${layer}/${f}:${i + 1}`, line }))
        .filter(({ line }) => FORBIDDEN.test(line) && !ALLOWED[layer]?.test(line)),
    );
}

describe('the deciding layers are pure', () => {
  for (const layer of ['zab', 'server', 'tree']) {
    it(`src/${layer} uses no clock, randomness, timers, process or Node built-ins`, () => {
      expect(offenders(layer)).toEqual([]);
    });
  }
});
