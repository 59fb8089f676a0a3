// Apache ZooKeeper's own zkCli (Debian package zookeeper) against a real zabkit server.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { peerMissing, suiteServer, ZKCLI } from './harness.ts';

describe.skipIf(peerMissing('zkCli (Debian zookeeper)', ZKCLI))('zkCli', () => {
  const suite = suiteServer();

  /** Run zkCli commands in one session; its output without the log lines. */
  function zkCli(commands: readonly string[]): string {
    const r = spawnSync(ZKCLI!, ['-server', `127.0.0.1:${suite.server.port}`], {
      input: `${[...commands, 'quit'].join('\n')}\n`,
      encoding: 'utf8',
      timeout: 60000,
      env: { ...process.env, ZOO_LOG4J_PROP: 'ERROR,CONSOLE' },
    });
    // zkCli prints results on stdout and confirmations ("Created …") and errors on stderr.
    return `${r.stdout}\n${r.stderr}`
      .split('\n')
      .filter((l) => l && !/^\d{4}-\d\d-\d\d |log4j|SLF4J|WATCHER::|WatchedEvent|Welcome|JLine|Connecting/.test(l))
      .join('\n');
  }

  it('create, create -s, create -e, get -s, set, ls, stat, delete, deleteall', () => {
    const out = zkCli([
      'create /cli first',
      'create -s /cli/seq- a',
      'create -s /cli/seq- b',
      'create -e /cli/eph e',
      'create /cli first',
      'get -s /cli',
      'set /cli second',
      'get /cli',
      'ls /cli',
      'stat /cli/eph',
      'delete /cli/seq-0000000000',
      'ls /cli',
      'delete /cli',
      'deleteall /cli',
      'ls /',
    ]);
    const lines = out.split('\n');
    expect(lines).toContain('Created /cli');
    expect(lines).toContain('Created /cli/seq-0000000000');
    expect(lines).toContain('Created /cli/seq-0000000001');
    expect(lines).toContain('Created /cli/eph');
    expect(lines).toContain('Node already exists: /cli');
    expect(lines).toContain('first');
    expect(lines).toContain('dataVersion = 0');
    expect(lines).toContain('numChildren = 3');
    expect(lines).toContain('second');
    expect(lines).toContain('[eph, seq-0000000000, seq-0000000001]');
    expect(lines.some((l) => /^ephemeralOwner = 0x[0-9a-f]+$/.test(l) && l !== 'ephemeralOwner = 0x0')).toBe(true);
    expect(lines).toContain('[eph, seq-0000000001]');
    expect(lines).toContain('Node not empty: /cli');
    expect(lines).toContain('[zookeeper]');
  }, 90000);
});
