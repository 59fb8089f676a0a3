// The package's own directory, found from this file whether it runs as TypeScript (src/shell/)
// or compiled (dist/src/shell/): files the commands read at run time (package.json, spec/,
// explore/page/app.ts, bin/zabkit.mjs) stay where the package ships them.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'zabkit.mjs'))) return dir;
    if (dirname(dir) === dir) throw new Error(`zabkit: no package directory above ${from}`);
  }
}

export const PROJECT_ROOT = findRoot(import.meta.dirname);
export const ZABKIT_BIN = join(PROJECT_ROOT, 'bin', 'zabkit.mjs');
