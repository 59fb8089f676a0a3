#!/usr/bin/env node
// The `zabkit` command. The sources are TypeScript; tsx compiles them on load.
import { spawnSync } from 'node:child_process';
import { getHeapStatistics } from 'node:v8';

// The model checker keeps millions of states: give it a heap larger than Node's default.
if (process.argv[2] === 'check' && getHeapStatistics().heap_size_limit < 8e9 && !process.env.ZABKIT_BIG_HEAP) {
  const r = spawnSync(process.execPath, ['--max-old-space-size=16384', '--max-semi-space-size=64', ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ZABKIT_BIG_HEAP: '1' },
  });
  process.exit(r.status ?? 1);
}

const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/shell/cli.ts');
process.exitCode = await main(process.argv.slice(2));
