#!/usr/bin/env node
// `npm run test:kazoo`: kazoo's own test suite (Debian's python3-kazoo ships it in
// kazoo/tests) against a zabkit ensemble. kazoo's harness starts a 3-server cluster with
// `java … QuorumPeerMain zoo.cfg`; test/kazoo/java, first on PATH, starts zabkit instead.
//
//   npm run test:kazoo [-- --peer apache] [-- -k EXPR] [-- --min N] [-- --minutes M]
//
// --peer apache runs the same suite against Apache ZooKeeper (Debian's `zookeeper`), for comparison.
// Prints the pass count and every failing test with its first line of cause. Exit 0 when the suite
// ran to its end (and, with --min N, at least N tests passed).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const PYTHON = '/usr/bin/python3';
const TESTS = '/usr/lib/python3/dist-packages/kazoo/tests';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const peer = opt('--peer', 'zabkit');
const filter = opt('-k', undefined);
const min = Number(opt('--min', '0'));
const minutes = Number(opt('--minutes', '45'));

const missing = [];
if (!existsSync(TESTS)) missing.push('python3-kazoo');
if (spawnSync(PYTHON, ['-c', 'import pytest, mock'], { stdio: 'ignore' }).status !== 0) missing.push('python3-pytest python3-mock');
if (peer === 'apache' && !existsSync('/usr/share/java/zookeeper.jar')) missing.push('zookeeper');
if (missing.length) {
  console.error(`test:kazoo needs Debian packages: apt-get install -y ${missing.join(' ')} (.ci/run installs them)`);
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'zabkit-kazoo-'));
const env = { ...process.env, ZOOKEEPER_VERSION: '3.8.0', ZOOKEEPER_PORT_OFFSET: opt('--port-offset', '20000'), TMPDIR: work };
if (peer === 'zabkit') {
  const bin = join(work, 'bin');
  spawnSync('mkdir', ['-p', bin]);
  symlinkSync(join(ROOT, 'test', 'kazoo', 'java'), join(bin, 'java'));
  Object.assign(env, { PATH: `${bin}:${process.env.PATH}`, ZABKIT_ROOT: ROOT, ZABKIT_NODE: process.execPath, ZOOKEEPER_CLASSPATH: 'zabkit', ZABKIT_LOG_LEVEL: 'warn' });
} else {
  const jars = readdirSync('/usr/share/java').filter((f) => f.endsWith('.jar')).map((f) => join('/usr/share/java', f));
  env.ZOOKEEPER_CLASSPATH = ['/etc/zookeeper/conf', ...jars].join(':');
}

const pytest = ['-m', 'pytest', '-q', '-rfEs', '-p', 'no:cacheprovider', '--color=no', TESTS, ...(filter ? ['-k', filter] : [])];
console.log(`kazoo ${TESTS} against ${peer} (work dir ${work}; limit ${minutes} min)`);
const started = Date.now();
const child = spawn(PYTHON, pytest, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
let out = '';
child.stdout.on('data', (d) => {
  out += d;
  process.stdout.write(d);
});
child.stderr.on('data', (d) => (out += d));
let timedOut = false;
const limit = setTimeout(() => {
  timedOut = true;
  console.error(`\ntest:kazoo: still running after ${minutes} minutes; stopping it`);
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {}
}, minutes * 60_000);
const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
clearTimeout(limit);

// pytest's last line: "1 failed, 475 passed, 3 skipped, 493 warnings in 125.04s (0:02:05)".
const summary = out.split('\n').filter((l) => /^=*\s*\d+ \w+.* in [\d.]+s\b/.test(l)).pop() ?? '';
const count = (word) => Number(new RegExp(`(\\d+) ${word}\\b`).exec(summary)?.[1] ?? 0);
const passed = count('passed');
const failed = count('failed');
const errors = count('errors?');
const skipped = count('skipped');
const failures = out.split('\n').filter((l) => /^(FAILED|ERROR) /.test(l));
console.log(`\n==== kazoo suite against ${peer}: ${passed} passed, ${failed} failed, ${errors} errors, ${skipped} skipped (${((Date.now() - started) / 60000).toFixed(1)} min, pytest exit ${code})`);
for (const f of failures) console.log(`  ${f}`);
rmSync(work, { recursive: true, force: true });
process.exit(timedOut || code === null || code > 1 ? 1 : passed >= min ? 0 : 1);
