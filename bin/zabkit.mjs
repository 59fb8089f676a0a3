#!/usr/bin/env node
// The `zabkit` command. It runs the bundled JavaScript in dist/cli/ (`npm ci` builds it; `npm run
// build` rebuilds it: tools/build-cli.mjs), which starts in a fraction of the time tsx needs to
// compile the sources on load. In a checkout where a source is newer than the last build, it runs the sources through tsx
// instead, so an edit takes effect without a build; ZABKIT_FROM_SOURCE=1 asks for that always.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';

// The model checker keeps millions of states: give it a heap larger than Node's default.
if (process.argv[2] === 'check' && getHeapStatistics().heap_size_limit < 8e9 && !process.env.ZABKIT_BIG_HEAP) {
  const r = spawnSync(process.execPath, ['--max-old-space-size=16384', '--max-semi-space-size=64', ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ZABKIT_BIG_HEAP: '1' },
  });
  process.exit(r.status ?? 1);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli', 'cli.js');
const stamp = join(root, 'dist', 'cli', '.stamp');

/** Is any TypeScript source the CLI can load newer than the build? (~200 files: a few ms.) */
function sourcesNewerThan(ms) {
  for (const dir of ['src', 'model', 'conformance', 'sim', 'explore']) {
    const abs = join(root, dir);
    if (!existsSync(abs)) continue;
    for (const e of readdirSync(abs, { recursive: true, withFileTypes: true })) {
      if (e.isFile() && e.name.endsWith('.ts') && statSync(join(e.parentPath, e.name)).mtimeMs > ms) return true;
    }
  }
  return false;
}

const compiled = !process.env.ZABKIT_FROM_SOURCE && existsSync(built) && existsSync(stamp) && !sourcesNewerThan(statSync(stamp).mtimeMs);
let main;
if (compiled) {
  ({ main } = await import(pathToFileURL(built).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/shell/cli.ts'));
}
process.exitCode = await main(process.argv.slice(2));
