// The quickstart: an in-memory cache, no server needed. Run it with `npm start`.
import { Cache, KeyExistsError } from 'larder';

interface User {
  id: string;
  name: string;
  visits: number;
}

const cache = new Cache<User>({ namespace: 'users', ttl: '10m' });

// set / get, with a miss and a default.
await cache.set('42', { id: '42', name: 'Ada', visits: 1 });
console.log('get 42          ->', await cache.get('42'));
console.log('get 7           ->', await cache.get('7'));
console.log('get 7 (default) ->', await cache.get('7', { default: { id: '7', name: 'guest', visits: 0 } }));

// ttl: the cache default, a per-call override, and "never".
await cache.set('short', { id: 's', name: 'short-lived', visits: 0 }, { ttl: '50ms' });
console.log('ttl 42          ->', await cache.ttl('42'), 'ms left');
await new Promise((resolve) => setTimeout(resolve, 80));
console.log('short after 80ms->', await cache.get('short'));

// add is atomic and refuses to overwrite.
try {
  await cache.add('42', { id: '42', name: 'Impostor', visits: 0 });
} catch (error) {
  if (error instanceof KeyExistsError) console.log('add 42          -> KeyExistsError for key', error.key);
}

// Batches.
await cache.multiSet({
  '1': { id: '1', name: 'Grace', visits: 3 },
  '2': { id: '2', name: 'Linus', visits: 5 },
});
console.log(
  'multiGet        ->',
  (await cache.multiGet(['1', '2', '3'])).map((user) => user?.name),
);

// Read-through: three concurrent callers, one load.
let loads = 0;
const loadUser = async (id: string): Promise<User> => {
  loads++;
  await new Promise((resolve) => setTimeout(resolve, 20));
  return { id, name: `loaded-${id}`, visits: 0 };
};
const users = await Promise.all([1, 2, 3].map(() => cache.getOrSet('99', () => loadUser('99'))));
console.log('getOrSet x3     ->', users.map((user) => user.name).join(', '), `(loads: ${loads})`);

// Counters live beside other values.
const counters = new Cache<number>({ namespace: 'counters' });
await counters.increment('page-views');
console.log('increment       ->', await counters.increment('page-views', 10));

// Patterns and namespaces.
console.log('deletePattern   ->', await cache.deletePattern('[12]'), 'keys removed');
await cache.clear();
console.log(
  'after clear     ->',
  await cache.get('42'),
  '| counters untouched:',
  await counters.get('page-views'),
);

await cache.close();
await counters.close();
