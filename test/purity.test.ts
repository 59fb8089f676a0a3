// The reducers and the data tree decide and do nothing else: no clock, randomness, timers or
// process in src/zab, src/server or src/tree. src/tree may hash (node:crypto's sha1 for digest ids is a
// deterministic function); nothing else from Node.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const FORBIDDEN = /Date\.now|Math\.random|setTimeout|setInterval|from ['"]node:|require\(|process\.|new Date\(|Buffer\./;
const ALLOWED: Record<string, RegExp | undefined> = { tree: /^import \{ createHash \} from 'node:crypto';$/ };

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
