// Bundles the `zabkit` command into dist/cli/ (esbuild, ESM, one chunk per lazily imported
// subcommand): one file to load instead of ~200 modules, and immutable/zod/ts-pattern taken as
// ES modules, so Node neither resolves nor scans them at start-up. bin/zabkit.mjs runs it while
// dist/cli/.stamp is newer than every source. `npm ci` (prepare) and `npm run build` run this.
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'src', 'shell', 'cli.ts')],
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  mainFields: ['module', 'main'], // immutable's ES build (its `main` is CommonJS)
  outdir,
  sourcemap: true,
  // Loaded only by the subcommands that need them, and not ES modules (or native): left to Node.
  external: ['esbuild', 'node-zookeeper-client', 'playwright-core'],
  logLevel: 'warning',
});
writeFileSync(join(outdir, '.stamp'), `${new Date().toISOString()}\n`);
