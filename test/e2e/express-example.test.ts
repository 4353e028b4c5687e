import { expect } from 'chai';
import { sharedRedis } from '../support/redis-fixtures.js';
import { checkProductRoutes, send } from '../support/route-apps.js';
import { startExample, stopExample } from '../support/example-server.js';

describe('examples/express on Redis (CACHE_URL)', function () {
  this.timeout(30_000);

  it('caches the product route (MISS, HIT, one load for a burst, HEAD), bypasses the cookie route, and stops cleanly', async function () {
    const { child, base, banner } = await startExample('examples/express/server.ts', {
      CACHE_URL: `${(await sharedRedis()).url}/12?namespace=express-e2e-${process.pid}`,
    });
    try {
      expect(banner).to.match(/cache: redis/);
      await checkProductRoutes(base);

      const dropped = await send(`${base}/products/1/cache`, { method: 'DELETE' });
      expect(JSON.parse(dropped.body)).to.deep.equal({ removed: 1 });
      expect((await send(`${base}/products/1`)).headers['x-cache']).to.equal('MISS');

      const csv = [await send(`${base}/catalog.csv`), await send(`${base}/catalog.csv`)];
      expect(csv.map((answer) => answer.headers['x-cache'])).to.deep.equal(['MISS', 'HIT']);
      expect(csv[1]!.body).to.equal('id,name\n1,Product 1\n2,Product 2\n3,Product 3\n');
    } finally {
      expect(await stopExample(child)).to.equal(0);
    }
  });
});
