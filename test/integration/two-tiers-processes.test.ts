import { expect } from 'chai';
import { sharedRedis } from '../support/redis-fixtures.js';
import { spawnTs, type Conversation } from '../support/run.js';

const WORKER = 'test/fixtures/two-tiers-worker.ts';

// Two Node processes, each with an L1 of its own over one real Redis: what one writes, the other
// stops serving once the write is acknowledged and its message has travelled.
describe('two tiers across processes', function () {
  this.timeout(60_000);
  let workers: Conversation[] = [];

  afterEach(async () => {
    for (const worker of workers) worker.send('quit');
    await Promise.all(workers.map((worker) => worker.done));
    workers = [];
  });

  it('drops the other process’s entry after a set, and serves the new value', async function () {
    const server = await sharedRedis();
    const namespace = `processes-${process.pid}`;
    workers = [spawnTs(WORKER, [server.url, namespace]), spawnTs(WORKER, [server.url, namespace])];
    const [one, two] = workers as [Conversation, Conversation];
    expect(await one.nextLine()).to.equal('ready');
    expect(await two.nextLine()).to.equal('ready');
    one.send('set k "v1"');
    expect(await one.nextLine()).to.equal('set');
    two.send('fill k');
    expect(await two.nextLine()).to.equal('filled "v1"');
    two.send('watch k');
    expect(await two.nextLine()).to.equal('watching');
    one.send('set k "v2"');
    expect(await one.nextLine()).to.equal('set');
    expect(await two.nextLine()).to.equal('dropped');
    two.send('get k');
    expect(await two.nextLine()).to.equal('value "v2"');
    // And the other way round.
    one.send('fill k');
    expect(await one.nextLine()).to.equal('filled "v2"');
    one.send('watch k');
    expect(await one.nextLine()).to.equal('watching');
    two.send('set k "v3"');
    expect(await two.nextLine()).to.equal('set');
    expect(await one.nextLine()).to.equal('dropped');
  });
});
