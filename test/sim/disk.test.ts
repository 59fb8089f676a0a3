// The simulated disk's crash semantics (sim/disk.ts): what a power loss and a killed process keep.
import { constants } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SimDisk } from '../../sim/disk.ts';
import { Random } from '../../sim/random.ts';
import { Proc, Scheduler } from '../../sim/scheduler.ts';

const calm = { minDelay: 1, maxDelay: 1, stallChance: 0, stallMs: 0, tornChance: 0 };

function world(tornChance = 0, seed = 1) {
  const sched = new Scheduler();
  const disk = new SimDisk(sched, new Random(seed), { ...calm, tornChance });
  const proc = new Proc('p');
  return { sched, disk, proc, fs: disk.view(proc) };
}

function write(fs: ReturnType<SimDisk['view']>, path: string, text: string, sync: boolean): void {
  const fd = fs.openSync(path, 'w');
  fs.writeFileSync(fd, Buffer.from(text));
  if (sync) fs.fsyncSync(fd);
  fs.closeSync(fd);
}

describe('the simulated disk', () => {
  it('a power loss keeps synced data in synced directory entries, and nothing else', () => {
    const { disk, fs } = world();
    fs.mkdirSync('/d', { recursive: true });
    const dir = fs.openSync('/', 'r');
    fs.fsyncSync(dir); // /d's entry is durable
    write(fs, '/d/synced', 'kept', true);
    write(fs, '/d/unsynced', 'lost', false);
    const d = fs.openSync('/d', 'r');
    fs.fsyncSync(d); // both entries durable; only one file's data
    write(fs, '/d/late', 'no entry', true); // data synced, its entry not
    disk.powerLoss();
    expect(fs.readdirSync('/d')).toEqual(['synced', 'unsynced']);
    expect(fs.readFileSync('/d/synced').toString()).toBe('kept');
    expect(fs.readFileSync('/d/unsynced').length).toBe(0);
  });

  it('a rename not followed by a directory sync is undone by a power loss; a killed process keeps it', () => {
    for (const how of ['power', 'kill'] as const) {
      const { disk, fs } = world();
      fs.mkdirSync('/d', { recursive: true });
      fs.fsyncSync(fs.openSync('/', 'r'));
      write(fs, '/d/a.tmp', 'new', true);
      fs.fsyncSync(fs.openSync('/d', 'r'));
      fs.renameSync('/d/a.tmp', '/d/a');
      if (how === 'power') disk.powerLoss();
      else disk.processDied();
      expect(fs.readdirSync('/d')).toEqual(how === 'power' ? ['a.tmp'] : ['a']);
    }
  });

  it('an O_DSYNC write is durable once it completes, and not before; a torn tail is a prefix (perhaps damaged) of what was unsynced', async () => {
    const { sched, disk, fs } = world(1, 7);
    fs.mkdirSync('/d', { recursive: true });
    fs.fsyncSync(fs.openSync('/', 'r'));
    let done = false;
    const opened = fs.open('/d/log', constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_DSYNC);
    await sched.run(sched.now + 10);
    const h = await opened;
    fs.fsyncSync(fs.openSync('/d', 'r'));
    void h.write(Buffer.from('0123456789'), 0, 10, 0).then(() => (done = true));
    await sched.run(sched.now + 10);
    expect(done).toBe(true);
    void h.write(Buffer.from('abcdefghij'), 0, 10, 10); // not completed: the power goes first
    disk.powerLoss();
    const after = fs.readFileSync('/d/log');
    expect(after.subarray(0, 10).toString()).toBe('0123456789');
    expect(after.length).toBeLessThanOrEqual(20);
    expect(disk.tears).toHaveLength(1);
  });

  it('a process that died never sees its calls complete', async () => {
    const { sched, proc, fs } = world();
    fs.mkdirSync('/d', { recursive: true });
    let completed = false;
    void fs.open('/d/f', 'w').then(() => (completed = true));
    proc.alive = false;
    await sched.run(sched.now + 100);
    expect(completed).toBe(false);
    expect(() => fs.mkdirSync('/e', { recursive: true })).toThrow(/not running/);
  });
});
