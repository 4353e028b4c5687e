// An app whose caches come from a config file with two aliases: `default` (in memory, with a
// hit/miss plugin) and `sessions`, whose URL comes from the environment.
//   npm run example:config-aliases
//   SESSIONS_URL='redis://127.0.0.1:6379/0?namespace=sess&ttl=30m' npm run example:config-aliases
import { fileURLToPath } from 'node:url';
import { HitMissRatioPlugin, caches } from 'larder';

process.env.SESSIONS_URL ??= 'memory://?namespace=sess&ttl=30m';
caches.loadConfig(fileURLToPath(new URL('./larder.config.json', import.meta.url)));

// Any module can now reach the same caches by name.
async function renderProduct(id: string): Promise<string> {
  return caches.get<string>().getOrSet(`product:${id}`, async () => `<h1>Product ${id}</h1>`);
}

async function login(user: string): Promise<string> {
  const token = `token-for-${user}`;
  await caches.get('sessions').set(token, { user, since: '2026-11-21' });
  return token;
}

await renderProduct('1');
await renderProduct('1');
await renderProduct('2');
const token = await login('ada');

const sessions = caches.get('sessions');
console.log('aliases         ->', Object.keys(caches.getConfig()).join(', '));
console.log('sessions via    ->', sessions.backend.name, `(namespace ${sessions.namespace})`);
console.log('session         ->', await sessions.get(token));
console.log(
  'session ttl     ->',
  (await sessions.ttl(token))! > 29 * 60_000 ? 'about 30 minutes' : 'unexpected',
);
const ratio = caches
  .get()
  .plugins.find((plugin) => plugin instanceof HitMissRatioPlugin) as HitMissRatioPlugin;
console.log('default hits    ->', ratio.stats());

await sessions.delete(token);
await caches.closeAll();
