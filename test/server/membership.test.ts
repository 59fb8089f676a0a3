// The dynamic configuration's text and the reconfig of observers (src/server/membership.ts, SERVER-14).
import { describe, expect, it } from 'vitest';
import { configText, parseConfigText, parseServerLine, reconfigure, type PeerAddress } from '../../src/server/membership.ts';

const member = (line: string): PeerAddress => {
  const [k, v] = line.split(/=(.*)/s);
  const m = parseServerLine(k!, v!);
  if (typeof m === 'string') throw new Error(m);
  return m;
};
const voters = ['server.1=127.0.0.1:2281:2381:participant;127.0.0.1:2181', 'server.2=localhost:2282:2382', 'server.3=127.0.0.1:2283:2383:participant;2183'].map(member);

describe('membership', () => {
  it('TREE-26, SERVER-14: writes ZooKeeper\'s text (sorted, client part as host:port, version in hex) and reads it back', () => {
    const text = configText({ members: [...voters].reverse(), version: 0x100000007 });
    expect(text).toBe(
      [
        'server.1=127.0.0.1:2281:2381:participant;127.0.0.1:2181',
        'server.2=localhost:2282:2382:participant',
        'server.3=127.0.0.1:2283:2383:participant;0.0.0.0:2183',
        'version=100000007',
      ].join('\n'),
    );
    const back = parseConfigText(text)!;
    expect(back.version).toBe(0x100000007);
    expect(configText(back)).toBe(text);
    expect(parseConfigText('')).toBeNull();
  });

  it('adds and removes observers, incrementally or as a new member list', () => {
    const obs = 'server.4=0.0.0.0:3001:3002:observer;0.0.0.0:3003';
    const added = reconfigure(voters, { joining: obs, leaving: null, newMembers: null });
    expect(Array.isArray(added) && added.map((m) => m.id)).toEqual([1, 2, 3, 4]);
    expect(configText({ members: added as PeerAddress[], version: 1 })).toContain(obs);
    const removed = reconfigure(added as PeerAddress[], { joining: null, leaving: '4', newMembers: null });
    expect(Array.isArray(removed) && removed.map((m) => m.id)).toEqual([1, 2, 3]);
    const listed = reconfigure(voters, { joining: null, leaving: null, newMembers: [...voters.map((v) => configText({ members: [v], version: 0 }).split('\n')[0]), obs].join(',') });
    expect(Array.isArray(listed) && listed.map((m) => m.id)).toEqual([1, 2, 3, 4]);
  });

  it('refuses malformed server strings (BadArguments) and any change of the voters (Unimplemented)', () => {
    const ask = (joining: string | null, leaving: string | null = null) => reconfigure(voters, { joining, leaving, newMembers: null });
    expect(ask('some thing')).toBe(-8);
    expect(ask('server.4=0.0.0.0:3001:3002:observer')).toBe(-8); // no client address
    expect(ask('server.4=0.0.0.0:3001:observer;3003')).toBe(-8);
    expect(ask(null, 'x')).toBe(-8);
    expect(ask('server.4=0.0.0.0:3001:3002:participant;3003')).toBe(-6);
    expect(ask(null, '3')).toBe(-6);
    expect(ask('server.3=127.0.0.1:2283:2383:observer;2183')).toBe(-6); // a voter turned observer
  });
});
