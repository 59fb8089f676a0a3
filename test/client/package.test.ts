// `zabkit/client` as a user gets it: the package export, compiled JavaScript run by plain Node
// (no TypeScript loader), running the README's example against a real server.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../conformance/launch.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('the package exports zabkit/client and zabkit/recipes', () => {
  let server: RunningServer;
  const dir = mkdtempSync(join(tmpdir(), 'zabkit-client-pkg-'));
  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT });
    server = await startServer(dir);
  }, 120000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs the README's example under plain node", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = /```js\n(import \{ connect, op, NoNodeError \} from 'zabkit\/client';[\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const code = example!.replace("'127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183'", `'127.0.0.1:${server.port}'`);
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 30000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['watch: dataChanged /config', 'created /jobs/j-0000000000']);
  });

  it('zabkit/recipes under plain node: a lock taken and given back', () => {
    const code = `import { connect } from 'zabkit/client';
import { Lock } from 'zabkit/recipes';
const zk = await connect('127.0.0.1:${server.port}');
const lock = new Lock(zk, '/pkg-lock');
await lock.acquire();
console.log('held', lock.isHeld, (await zk.getChildren('/pkg-lock')).children.length);
await lock.release();
console.log('held', lock.isHeld, (await zk.getChildren('/pkg-lock')).children.length);
await zk.close();`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 30000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['held true 1', 'held false 0']);
  });
});
