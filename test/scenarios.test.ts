// Golden-file scenario tests (as etcd raft's testdata): each file in test/scenarios/ is a script of
// commands with the expected output after `----`. `npm run golden` rewrites the expected output;
// review the diff before committing it. Every scenario must also keep every invariant.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScript } from '../model/script.ts';

const dir = join(import.meta.dirname, 'scenarios');
const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

describe('scenario goldens', () => {
  it('has the scenarios the spec promises', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
  });

  for (const file of files) {
    it(file, () => {
      const path = join(dir, file);
      const text = readFileSync(path, 'utf8');
      const { rendered, violations } = runScript(text);
      expect(violations).toEqual([]);
      if (process.env.UPDATE_GOLDEN) writeFileSync(path, rendered);
      else expect(rendered).toBe(text);
    });
  }
});
