// Tags: invalidate groups of entries at once. In memory here; over Redis the same calls reach
// every process (docs/tags.md). Run it with `npm run example:tags`.
import { Cache, cached } from 'larder';

interface Product {
  id: string;
  name: string;
  price: number;
}

const cache = new Cache({ namespace: 'shop' });
const prices: Record<string, number> = { '1': 10, '2': 20 };
let loads = 0;

// Each product is tagged with its own tag and the whole catalog's.
const getProduct = cached(
  async (id: string): Promise<Product> => {
    loads++;
    return { id, name: `product ${id}`, price: prices[id]! };
  },
  { cache, ttl: '10m', tags: (product) => [`product:${product.id}`, 'catalog'] },
);

await getProduct('1');
await getProduct('2');
await getProduct('1');
console.log('two products, three calls -> loads:', loads);

// A price changes: invalidate that product only.
prices['1'] = 11;
await cache.invalidateTags(['product:1']);
console.log(
  'after product:1 changed   ->',
  (await getProduct('1')).price,
  (await getProduct('2')).price,
  'loads:',
  loads,
);

// Entries written directly can carry tags too.
await cache.set('banner', 'summer sale', { tags: ['catalog'] });
console.log('banner                    ->', await cache.get('banner'));

// The whole catalog changes: one call, whatever the number of entries.
console.log('invalidateTags(catalog)   ->', await cache.invalidateTags(['catalog']));
console.log('banner                    ->', await cache.get('banner'));
await getProduct('2');
console.log('product 2 reloaded        -> loads:', loads);
