import { expect } from 'chai';
import { sharedRedis } from '../support/redis-fixtures.js';
import { send } from '../support/route-apps.js';
import { startExample, stopExample } from '../support/example-server.js';

interface Product {
  id: string;
  load: number;
}

describe('examples/express on Redis (CACHE_URL)', function () {
  this.timeout(30_000);

  it('caches the product route (MISS, HIT, one load for a burst, HEAD), bypasses the cookie route, and stops cleanly', async function () {
    const { child, base, banner } = await startExample('examples/express/server.ts', {
      CACHE_URL: `${(await sharedRedis()).url}/12?namespace=express-e2e-${process.pid}`,
    });
    try {
      expect(banner).to.match(/cache: redis/);
      const first = await send(`${base}/products/1`);
      const again = await send(`${base}/products/1`);
      expect([first.headers['x-cache'], again.headers['x-cache']]).to.deep.equal(['MISS', 'HIT']);
      expect(again.body).to.equal(first.body);
      const head = await send(`${base}/products/1`, { method: 'HEAD' });
      expect([head.status, head.headers['x-cache'], head.body]).to.deep.equal([200, 'HIT', '']);

      const burst = await Promise.all(Array.from({ length: 10 }, () => send(`${base}/products/2`)));
      expect(new Set(burst.map((answer) => (JSON.parse(answer.body) as Product).load))).to.deep.equal(
        new Set([(JSON.parse(first.body) as Product).load + 1]),
      );
      expect(burst.filter((answer) => answer.headers['x-cache'] === 'MISS')).to.have.length(1);

      const cart = [await send(`${base}/cart`), await send(`${base}/cart`)];
      expect(cart.map((answer) => answer.headers['x-cache'])).to.deep.equal(['BYPASS', 'BYPASS']);
      expect(cart[1]!.headers['set-cookie']).to.have.length(1);

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
