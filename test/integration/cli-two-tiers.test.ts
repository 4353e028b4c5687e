import { expect } from 'chai';
import { larderInProcess } from '../support/cli.js';
import { sharedRedis } from '../support/redis-fixtures.js';

// `larder info` of an alias with an L1 says how it is bounded and whether its bus is live.
describe('larder info with an L1', function () {
  this.timeout(20_000);

  it('shows the L1 and its coherence, in text and JSON', async function () {
    const server = await sharedRedis();
    const url = `${server.url}/5?namespace=cli-tiers&l1=500&l1Ttl=30s`;
    const human = await larderInProcess(['info', '--url', url]);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(/^l1 +0 of 500 entries, ttl 30 s; coherence live$/m);
    const json = await larderInProcess(['info', '--url', url, '--json']);
    expect(JSON.parse(json.stdout)).to.deep.include({
      l1: { entries: 0, bytes: 0, evictions: 0, maxSize: 500, maxBytes: 0, ttlMs: 30_000, coherence: 'live' },
    });
    const plain = JSON.parse(
      (await larderInProcess(['info', '--url', `${server.url}/5?namespace=cli-tiers`, '--json'])).stdout,
    );
    expect(plain).to.have.property('l1', null);
  });
});
