import { expect } from 'chai';
import { CacheRegistry, ConfigError, type CachesConfig } from '../../lib/index.js';
import { interpolateEnv } from '../../lib/config.js';
import { didYouMean } from '../../lib/did-you-mean.js';

/** Expects setConfig to throw a ConfigError with this path and a message matching `message`. */
function rejects(config: unknown, path: string, message: RegExp): void {
  const registry = new CacheRegistry();
  let error: unknown;
  try {
    registry.setConfig(config as never);
  } catch (thrown) {
    error = thrown;
  }
  expect(error, JSON.stringify(config)).to.be.instanceOf(ConfigError);
  expect((error as ConfigError).path, (error as Error).message).to.equal(path);
  expect((error as Error).message).to.match(message);
  expect((error as Error).message.startsWith(`${path}: `), (error as Error).message).to.equal(true);
}

describe('config validation', function () {
  it('names an unknown backend, serializer or plugin type, with what is known and a near match', function () {
    rejects(
      { sessions: { serializer: { type: 'mspack' } } },
      'caches.sessions.serializer.type',
      /unknown serializer "mspack"; known: json, string, msgpack, structured-clone, null; did you mean "msgpack"\?/,
    );
    rejects(
      { a: { backend: 'redys' } },
      'caches.a.backend',
      /unknown backend "redys"; known: memory, redis; did you mean "redis"\?/,
    );
    rejects(
      { a: { plugins: ['timing', 'hit-miss'] } },
      'caches.a.plugins[1]',
      /unknown plugin "hit-miss"; known: hit-miss-ratio, timing, metrics/,
    );
    rejects(
      { a: { backend: { maxSize: 5 } } },
      'caches.a.backend.type',
      /missing; expected one of memory, redis/,
    );
  });

  it('names a value of the wrong type, with what was found and what is allowed', function () {
    rejects({ a: { namespace: 5 } }, 'caches.a.namespace', /expected a string; got 5/);
    rejects({ a: { safe: 'yes' } }, 'caches.a.safe', /expected true or false; got "yes"/);
    rejects({ a: { version: {} } }, 'caches.a.version', /expected a string; got an object/);
    rejects({ a: { plugins: 'timing' } }, 'caches.a.plugins', /expected an array; got "timing"/);
    rejects(
      { a: { backend: { type: 'memory', maxSize: 0 } } },
      'caches.a.backend.maxSize',
      /expected an integer from 1 up; got 0/,
    );
    rejects(
      { a: { backend: { type: 'redis', port: 70_000 } } },
      'caches.a.backend.port',
      /expected an integer from 1 to 65535; got 70000/,
    );
    rejects(
      { a: { serializer: { type: 'json', compress: 'zip' } } },
      'caches.a.serializer.compress',
      /expected one of "gzip", "brotli", "deflate"; got "zip"/,
    );
    rejects(
      { a: { plugins: [{ type: 'timing', window: -1 }] } },
      'caches.a.plugins[0].window',
      /expected an integer from 1 up/,
    );
    rejects({ a: 42 }, 'caches.a', /expected a URL string or an object; got 42/);
    rejects([], 'caches', /a config is an object/);
  });

  it('names bad durations', function () {
    rejects({ a: { ttl: '5 minutes' } }, 'caches.a.ttl', /duration/);
    rejects({ a: { timeout: -1 } }, 'caches.a.timeout', /non-negative/);
    rejects(
      { a: { backend: { type: 'memory', sweepInterval: 'often' } } },
      'caches.a.backend.sweepInterval',
      /duration/,
    );
  });

  it('names bad URLs, in URL aliases and in a redis backend url', function () {
    rejects({ s: 'redis://h?nmespace=x' }, 'caches.s.url.nmespace', /unknown Redis URL parameter "nmespace"/);
    rejects({ s: 'redis://h?ttl=soon' }, 'caches.s.url.ttl', /duration/);
    rejects({ s: 'memcached://h' }, 'caches.s.url', /unknown cache URL scheme/);
    rejects(
      { s: { backend: { type: 'redis', url: 'redis://h/abc' } } },
      'caches.s.backend.url.db',
      /db must be/,
    );
  });

  it('names every bad Redis URL parameter at the path the user wrote, never an internal one', function () {
    rejects(
      { s: 'redis://h?connectTimeout=abc' },
      'caches.s.url.connectTimeout',
      /connectTimeout must be a duration/,
    );
    rejects(
      { s: { backend: { type: 'redis', url: 'redis://h?connectTimeout=abc' } } },
      'caches.s.backend.url.connectTimeout',
      /^caches\.s\.backend\.url\.connectTimeout: connectTimeout must be a duration/,
    );
    rejects(
      { s: { backend: { type: 'redis', url: 'redis://h?nmespace=x' } } },
      'caches.s.backend.url.nmespace',
      /^caches\.s\.backend\.url\.nmespace: unknown Redis URL parameter "nmespace"/,
    );
    rejects(
      { s: 'redis://h?scanCount=x' },
      'caches.s.url.scanCount',
      /^caches\.s\.url\.scanCount: scanCount must/,
    );
    rejects({ s: 'redis://h:0' }, 'caches.s.url.port', /^caches\.s\.url\.port: port must be/);
    rejects({ s: 'redis://h?serializer=mspack' }, 'caches.s.url.serializer', /unknown serializer "mspack"/);
  });

  it('names a problem found while building an alias under the alias, by what the user wrote', function () {
    const built = (config: CachesConfig, path: string, message: RegExp): void => {
      const registry = new CacheRegistry();
      registry.setConfig(config);
      let error: unknown;
      try {
        registry.get('s');
      } catch (thrown) {
        error = thrown;
      }
      expect(error).to.be.instanceOf(ConfigError).with.property('path', path);
      expect((error as Error).message).to.match(message);
    };
    built(
      { s: 'redis://127.0.0.1:1/0?serializer=null' },
      'caches.s.url.serializer',
      /^caches\.s\.url\.serializer: the redis backend cannot store live references/,
    );
    built(
      { s: { backend: { type: 'redis', url: 'redis://127.0.0.1:1/0' }, serializer: 'null' } },
      'caches.s.serializer',
      /^caches\.s\.serializer: the redis backend cannot store live references/,
    );
  });

  it('names unknown options with a "did you mean" for near misses', function () {
    rejects(
      { a: { namespce: 'x' } },
      'caches.a.namespce',
      /unknown field "namespce"; did you mean "namespace"\?/,
    );
    rejects(
      { a: { backend: { type: 'memory', maxsize: 5 } } },
      'caches.a.backend.maxsize',
      /unknown memory backend option "maxsize"; did you mean "maxSize"\?/,
    );
    rejects(
      { a: { backend: { type: 'redis', hots: 'x' } } },
      'caches.a.backend.hots',
      /did you mean "host"\?/,
    );
    rejects(
      { a: { serializer: { type: 'msgpack', secrett: 'x' } } },
      'caches.a.serializer.secrett',
      /did you mean "secret"\?/,
    );
    rejects(
      { a: { backend: { type: 'memory', colour: 'blue' } } },
      'caches.a.backend.colour',
      /known: maxSize, maxBytes, sweepInterval, sizeOf/,
    );
  });

  it('names a missing environment variable', function () {
    delete process.env.LARDER_TEST_MISSING;
    rejects(
      { a: { namespace: '${LARDER_TEST_MISSING}' } },
      'caches.a.namespace',
      /environment variable LARDER_TEST_MISSING is not set/,
    );
  });

  it('keeps the previous config when a new one is refused', function () {
    const registry = new CacheRegistry();
    registry.setConfig({ good: { namespace: 'g' } });
    expect(() => registry.setConfig({ bad: { ttl: 'never' } })).to.throw(ConfigError);
    expect(registry.getConfig()).to.deep.equal({ good: { namespace: 'g' } });
    expect(registry.get('good').namespace).to.equal('g');
  });

  it('reads ${ENV_NAME} anywhere in strings', function () {
    const env = { HOST: 'cache.internal', NS: 'app' };
    expect(
      interpolateEnv(
        { url: 'redis://${HOST}:6379/0?namespace=${NS}', list: ['${NS}'], n: 5 },
        'caches.a',
        env,
      ),
    ).to.deep.equal({
      url: 'redis://cache.internal:6379/0?namespace=app',
      list: ['app'],
      n: 5,
    });
  });

  it('suggests only near misses', function () {
    expect(didYouMean('mspack', ['json', 'msgpack'])).to.equal('msgpack');
    expect(didYouMean('TTL', ['ttl', 'timeout'])).to.equal('ttl');
    expect(didYouMean('completely-different', ['ttl', 'timeout'])).to.equal(undefined);
  });
});
