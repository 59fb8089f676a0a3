// A leader's and a follower's answers beside Apache ZooKeeper 3.8's, three voters of each:
// mntr's keys (the quorum ones: peer_state, quorum_size, learners, synced_followers,
// leader_uptime, proposal sizes…), srvr's and conf's layouts, and the AdminServer's quorum
// commands (leader, voting_view, zabstate, observers, stats) in the same JSON shape.
import { describe, expect, it } from 'vitest';
import { fourLetter } from './harness.ts';
import { jsonShape, mntrMap, noApache, suiteEnsembles, valueKind } from './observability-harness.ts';

const ensembles = suiteEnsembles();
const MODES = ['leader', 'follower'] as const;

/**
 * A summary set's keys are data (a learner's sid, a namespace) and differ with the timing and the
 * work (ZooKeeper also writes /zookeeper/config at start): compared by the set's name.
 */
const setName = (k: string) => k.replace(/^zk_(avg|min|max|cnt|sum|p50|p95|p99|p999)_.+_(ack_latency|learner_handler_qp_size|learner_handler_qp_time_ms|write_per_namespace|read_per_namespace)$/, 'zk_$1_KEY_$2');
const layout = (t: string) =>
  t
    .replace(/3\.8\.0-[^\n\t]*/g, 'VERSION')
    .replace(/0x[0-9a-f]+/g, 'HEX')
    .replace(/\/[^\s=]*\/version-2/g, 'DIR')
    .replace(/\d+(\.\d+)?/g, 'N');

describe.skipIf(noApache)('a quorum member beside Apache ZooKeeper 3.8', () => {
  it('mntr: every key Apache prints on a leader and on a follower, with the same kind of value', async () => {
    for (const mode of MODES) {
      const [a, z] = await Promise.all([fourLetter(ensembles.apache[mode].port, 'mntr'), fourLetter(ensembles.zabkit[mode].port, 'mntr')]);
      const [am, zm] = [mntrMap(a), mntrMap(z)];
      const zkeys = new Map([...zm].map(([k, v]) => [setName(k), v]));
      const missing = [...am.keys()].filter((k) => !zkeys.has(setName(k)));
      expect([mode, missing]).toEqual([mode, []]);
      const kinds = [...am].filter(([k, v]) => valueKind(zkeys.get(setName(k))!) !== valueKind(v)).map(([k]) => k);
      expect([mode, kinds]).toEqual([mode, []]);
      for (const k of ['zk_server_state', 'zk_peer_state', 'zk_quorum_size', 'zk_learners', 'zk_synced_followers', 'zk_synced_observers']) expect([mode, k, zm.get(k)]).toEqual([mode, k, am.get(k)]);
    }
  });

  it('srvr, stat and conf: the same lines (a leader adds its proposal sizes; conf the membership)', async () => {
    for (const mode of MODES) {
      for (const w of ['srvr', 'conf']) {
        const [a, z] = await Promise.all([fourLetter(ensembles.apache[mode].port, w), fourLetter(ensembles.zabkit[mode].port, w)]);
        expect([mode, w, layout(z)]).toEqual([mode, w, layout(a)]);
      }
    }
    expect(await fourLetter(ensembles.zabkit.leader.port, 'srvr')).toMatch(/\nProposal sizes last\/min\/max: \d+\/\d+\/\d+\n$/);
  });

  it('the AdminServer quorum commands answer in the same shape', async () => {
    for (const mode of MODES) {
      for (const name of ['leader', 'voting_view', 'zabstate', 'observers', 'server_stats', 'initial_configuration']) {
        const get = (port: number) => fetch(`http://127.0.0.1:${port}/commands/${name}`).then((r) => r.text());
        const [a, z] = await Promise.all([get(ensembles.apache[mode].adminPort), get(ensembles.zabkit[mode].adminPort)]);
        expect([mode, name, jsonShape(z)]).toEqual([mode, name, jsonShape(a)]);
      }
    }
  });
});
