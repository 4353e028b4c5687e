// A NestJS app on larder: Nest's CacheModule stores responses in larder through KeyvLarder, and
// a service memoises its lookups with @cached. Built with tsc (experimentalDecorators), then run:
//   npx tsc -p examples/nest && CACHE_URL=redis://127.0.0.1:6379/0 node .build/nest/main.js
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { caches } from 'larder';
import { AppModule } from './app.module.js';
import { configureCaches } from './caches.js';

configureCaches(process.env.CACHE_URL);
const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
console.log(`listening on ${await app.getUrl()} (cache: ${process.env.CACHE_URL ? 'redis' : 'memory'})`);

process.once('SIGTERM', async () => {
  await app.close();
  await caches.closeAll();
  process.exit(0);
});
