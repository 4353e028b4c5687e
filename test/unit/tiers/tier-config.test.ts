import { expect } from 'chai';
import { BUILT_IN_COMPONENTS } from '../../../lib/built-in-components.js';
import { normalizeAlias } from '../../../lib/config.js';
import { ComponentTypes } from '../../../lib/factory.js';
import { Cache, CacheRegistry, ConfigError } from '../../../lib/index.js';
import { aliasFromUrl } from '../../../lib/url.js';
import { recordingLogger } from '../../support/recording-logger.js';

const types = new ComponentTypes(BUILT_IN_COMPONENTS);
// A port nothing listens on: these caches are built, never used.
const NOWHERE = 'redis://127.0.0.1:9/0';

describe('l1 and invalidation in URLs and configs', function () {
  it('reads ?l1=10000&l1Ttl=1m&invalidation=… into the alias', function () {
    const alias = aliasFromUrl(`${NOWHERE}?l1=10000&l1Ttl=1m&invalidation=tracking&namespace=app`, types);
    expect(alias).to.deep.include({
      l1: { maxSize: 10_000, ttl: '1m' },
      invalidation: 'tracking',
      namespace: 'app',
    });
    expect(aliasFromUrl(`${NOWHERE}?l1=true`, types).l1).to.deep.equal({});
    expect(aliasFromUrl(`${NOWHERE}?l1Ttl=5s`, types).l1).to.deep.equal({ ttl: '5s' });
    expect(aliasFromUrl(`${NOWHERE}?l1=false`, types).l1).to.equal(false);
    expect(aliasFromUrl(NOWHERE, types)).to.not.have.property('l1');
  });

  it('refuses a bad l1, l1Ttl or invalidation in a URL, naming the parameter', function () {
    const refused = (url: string): ConfigError => {
      try {
        normalizeAlias(url, 'caches.main', types);
      } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        return error as ConfigError;
      }
      return expect.fail(`${url} was accepted`);
    };
    expect(refused(`${NOWHERE}?l1=lots`).path).to.equal('caches.main.url.l1');
    expect(refused(`${NOWHERE}?l1=0`).path).to.equal('caches.main.url.l1');
    expect(refused(`${NOWHERE}?l1=10&l1Ttl=soon`).path).to.equal('caches.main.url.l1');
    expect(refused(`${NOWHERE}?l1=10&invalidation=gossip`).path).to.equal('caches.main.url.invalidation');
  });

  it('takes { l1, invalidation } in a registry config and builds the cache with them', async function () {
    const registry = new CacheRegistry();
    registry.setConfig({
      main: {
        backend: { type: 'redis', url: NOWHERE, lazyConnect: true },
        l1: { maxSize: 100, ttl: '5s' },
        invalidation: 'none',
      },
    });
    const cache = registry.get('main');
    expect(cache.coherence).to.equal('off');
    await registry.closeAll();
    expect(() => registry.setConfig({ bad: { l1: { maxSize: -1 } } })).to.throw(
      ConfigError,
      /caches\.bad\.l1/,
    );
    expect(() =>
      registry.setConfig({ bad: { invalidation: { type: 'bus', healthCheck: 'often' } } }),
    ).to.throw(ConfigError, /caches\.bad\.invalidation/);
  });

  it('builds an L1 from a URL with Cache.fromUrl, and refuses one over memory', async function () {
    const { logger } = recordingLogger();
    const cache = Cache.fromUrl(`${NOWHERE}?l1=50&l1Ttl=2s&invalidation=none`, { logger });
    expect(cache.coherence).to.equal('off');
    await cache.close();
    expect(() => Cache.fromUrl('memory://?l1=50'))
      .to.throw(ConfigError)
      .with.property('path', 'url.l1');
  });
});
