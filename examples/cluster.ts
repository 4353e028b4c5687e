// larder on a Redis Cluster: multi-key operations work across hash slots.
//   CLUSTER_URL='redis+cluster://127.0.0.1:7000,127.0.0.1:7001' npm run example:cluster
import { Cache } from 'larder';

const url = process.env.CLUSTER_URL ?? 'redis+cluster://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002';
// CLUSTER_URL may carry parameters of its own: append to them rather than start a second query.
const cache = Cache.fromUrl<{ sku: string; stock: number }>(
  `${url}${url.includes('?') ? '&' : '?'}namespace=example-cluster&ttl=5m`,
);

try {
  await cache.clear(); // SCAN + UNLINK on every master, this namespace only
  const skus = Array.from({ length: 12 }, (_, i) => `sku-${i}`);
  // One MSET/MULTI per hash slot, sent together: the keys land on different masters.
  await cache.multiSet(
    skus.map((sku, i) => [sku, { sku, stock: i * 10 }] as [string, { sku: string; stock: number }]),
  );
  const found = await cache.multiGet(skus);
  console.log('multiGet        ->', found.filter(Boolean).length, 'of', skus.length, 'found');
  console.log('stock of sku-7  ->', found[7]?.stock);
  console.log('multiDelete     ->', await cache.multiDelete(skus.slice(0, 4)), 'removed');
  // sku-0…sku-3 are gone already, so this matches sku-10 and sku-11.
  console.log('deletePattern   ->', await cache.deletePattern('sku-1*'), 'removed (sku-10, sku-11)');
  let left = 0;
  for await (const page of cache.scan()) left += page.length;
  console.log('keys left       ->', left);
} finally {
  await cache.close();
}
