// larder/keyv: a Keyv storage adapter over a larder Cache, so that Keyv, cache-manager v7 and
// @nestjs/cache-manager run on larder. keyv is an optional peer dependency: nothing in larder's
// main entry point imports this.
import Keyv, { type KeyvOptions } from 'keyv';
import type { Cache } from '../cache.js';
import { KeyvLarder, type KeyvLarderFormat } from './keyv-larder.js';

export {
  KeyvLarder,
  type KeyvEntryData,
  type KeyvLarderFormat,
  type KeyvLarderOptions,
} from './keyv-larder.js';

/** Options of {@link createKeyv}: Keyv's own (but its store and serializer), and the format. */
export type CreateKeyvOptions = Omit<KeyvOptions, 'store' | 'serialize' | 'deserialize' | 'compression'> & {
  /** @default 'larder' */
  readonly format?: KeyvLarderFormat;
};

/**
 * A Keyv over a larder cache (or alias), made as this adapter is best used: in the `'larder'`
 * format (Keyv's serializer off, so the bytes are the cache's own and a plain `cache.get` reads
 * what Keyv wrote), and with no Keyv namespace unless one is given, so that Keyv's key `foo` is
 * the cache's key `foo` (the cache's own namespace still applies).
 *
 * @example
 * ```ts
 * const keyv = createKeyv(cache);
 * await keyv.set('user:42', user, 60_000);
 * await cache.get('user:42'); // the same user
 * ```
 */
export function createKeyv(cache: Cache | string = 'default', options: CreateKeyvOptions = {}): Keyv {
  const { format = 'larder', ...keyvOptions } = options;
  const store = new KeyvLarder(cache, { format });
  const serializer = format === 'larder' ? { serialize: undefined, deserialize: undefined } : {};
  return new Keyv({ namespace: undefined, ...keyvOptions, ...serializer, store });
}
