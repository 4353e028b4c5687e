import { expect } from 'chai';
import sinon from 'sinon';
import { Cache, ConfigError, JsonSerializer, MemoryBackend, parseRedisUrl } from '../../lib/index.js';
import { BUILT_IN_COMPONENTS } from '../../lib/built-in-components.js';
import { ComponentTypes } from '../../lib/factory.js';
import { redact } from '../../lib/redact.js';
import { aliasFromUrl } from '../../lib/url.js';
import type { RedisOptions } from 'ioredis';

const BUILT_INS = new ComponentTypes(BUILT_IN_COMPONENTS);

const tlsOf = (url: string): RedisOptions['tls'] =>
  (parseRedisUrl(url).connection.options as RedisOptions).tls;

describe('URLs', function () {
  describe('parseRedisUrl', function () {
    it('reads redis:// with credentials, host, port and db', function () {
      expect(parseRedisUrl('redis://user:p%40ss@cache.internal:6380/3').connection).to.deep.equal({
        kind: 'single',
        options: { username: 'user', password: 'p@ss', host: 'cache.internal', port: 6380, db: 3 },
      });
      expect(parseRedisUrl('redis://:secret@localhost').connection.options).to.include({
        password: 'secret',
        port: 6379,
        db: 0,
      });
      expect(parseRedisUrl('redis://secret@localhost').connection.options).to.include({ password: 'secret' });
      expect(parseRedisUrl('redis://').connection.options).to.include({ host: 'localhost', port: 6379 });
      expect(parseRedisUrl('redis://[::1]:7000').connection.options).to.include({ host: '::1', port: 7000 });
      expect(parseRedisUrl('redis://h/1?db=2&password=x&connectTimeout=2s').connection.options).to.include({
        db: 2,
        password: 'x',
        connectTimeout: 2_000,
      });
    });

    it('reads rediss:// as TLS, sending SNI for host names only', function () {
      expect(tlsOf('rediss://cache.example:6380')).to.deep.equal({
        servername: 'cache.example',
      });
      expect(tlsOf('rediss://10.0.0.1?tlsRejectUnauthorized=false')).to.deep.equal({
        rejectUnauthorized: false,
      });
    });

    it('reads redis+unix://, redis+sentinel:// and redis+cluster://', function () {
      expect(parseRedisUrl('redis+unix:///var/run/redis.sock?db=1').connection).to.deep.equal({
        kind: 'single',
        options: { path: '/var/run/redis.sock', db: 1 },
      });
      expect(
        parseRedisUrl('redis+sentinel://s1:26379,s2/mymaster/2?sentinelPassword=sp').connection,
      ).to.deep.equal({
        kind: 'sentinel',
        options: {
          sentinels: [
            { host: 's1', port: 26379 },
            { host: 's2', port: 26379 },
          ],
          name: 'mymaster',
          db: 2,
          sentinelPassword: 'sp',
        },
      });
      expect(parseRedisUrl('redis+cluster://:pw@h1:7000,h2:7001').connection).to.deep.equal({
        kind: 'cluster',
        nodes: [
          { host: 'h1', port: 7000 },
          { host: 'h2', port: 7001 },
        ],
        options: { redisOptions: { password: 'pw' } },
      });
    });

    it('reads larder options from the query', function () {
      expect(parseRedisUrl('redis://h?autoPipelining=true&scanCount=50')).to.include({
        autoPipelining: true,
        scanCount: 50,
      });
    });

    it('rejects bad URLs with ConfigError naming the part at fault', function () {
      const cases: [string, RegExp, string][] = [
        ['http://h', /scheme "http:"/, 'url'],
        ['redis://h?nmespace=x', /unknown Redis URL parameter "nmespace"/, 'url.nmespace'],
        ['redis://h/abc', /db must be/, 'url.db'],
        ['redis://h:99999', /port/, 'url.port'],
        ['redis://h1,h2', /one host/, 'url.host'],
        ['redis+unix://host/sock', /no host/, 'url'],
        ['redis+sentinel://s1:26379', /master name/, 'url'],
        ['redis+cluster://h1:7000/1', /only database 0/, 'url.db'],
        ['redis://h?autoPipelining=maybe', /true or false/, 'url.autoPipelining'],
        ['redis://h?scanCount=0', /scanCount/, 'url.scanCount'],
        ['not a url', /not a URL/, 'url'],
        // Every numeric or boolean parameter (issue 14): a ConfigError at it, never a bare RangeError.
        ['redis://h?connectTimeout=abc', /connectTimeout must be a duration/, 'url.connectTimeout'],
        ['redis://h?connectTimeout=-1', /connectTimeout must be a duration/, 'url.connectTimeout'],
        ['redis://h?scanCount=1.5', /scanCount must be an integer/, 'url.scanCount'],
        ['redis://h?db=-1', /db must be/, 'url.db'],
        ['redis://h:abc', /not a host\[:port\]/, 'url.host'],
        ['rediss://h?tlsRejectUnauthorized=nope', /true or false/, 'url.tlsRejectUnauthorized'],
        ['redis+sentinel://s1/m/x', /db must be/, 'url.db'],
      ];
      for (const [url, message, path] of cases) {
        expect(() => parseRedisUrl(url), url)
          .to.throw(ConfigError, message)
          .with.property('path', path);
      }
    });

    it('never echoes a password in errors', function () {
      expect(redact('redis://u:hunter2@h/0?password=hunter2')).to.equal('redis://u:***@h/0?password=***');
      expect(() => parseRedisUrl('redis://u:hunter2@h:bad'))
        .to.throw(ConfigError)
        .and.not.match(/hunter2/);
      try {
        parseRedisUrl('redis://u:hunter2@h:bad');
      } catch (error) {
        expect((error as Error).message).not.to.contain('hunter2');
      }
    });
  });

  describe('cacheOptionsFromUrl and Cache.fromUrl', function () {
    it('reads a URL into the object form of a config alias', function () {
      expect(
        aliasFromUrl(
          'memory://?maxSize=5&namespace=app&version=2&ttl=30s&timeout=1s&safe=true&serializer=json',
          BUILT_INS,
        ),
      ).to.deep.equal({
        backend: { type: 'memory', maxSize: 5 },
        serializer: { type: 'json' },
        namespace: 'app',
        version: '2',
        ttl: '30s',
        timeout: '1s',
        safe: true,
      });
      expect(aliasFromUrl('redis://h:1/2?namespace=n&scanCount=5&compress=gzip', BUILT_INS)).to.deep.equal({
        backend: { type: 'redis', url: 'redis://h:1/2?scanCount=5' },
        serializer: { type: 'json', compress: 'gzip' },
        namespace: 'n',
      });
    });

    it('builds a memory cache with cache-level and backend options', async function () {
      const built = Cache.fromUrl('memory://?maxSize=5&namespace=app&version=2&safe=true&serializer=json');
      expect(built.backend).to.be.instanceOf(MemoryBackend);
      expect((built.backend as MemoryBackend).maxSize).to.equal(5);
      expect(built).to.include({ namespace: 'app', version: '2', safe: true });
      expect(built.serializer).to.be.instanceOf(JsonSerializer);

      const cache = Cache.fromUrl('memory://?namespace=app&ttl=1m');
      // Date stands still, so the ttl read is exactly the one written, however slow the machine.
      const time = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
      await cache.set('k', 1);
      expect(await cache.ttl('k')).to.equal(60_000);
      time.restore();
      expect(await cache.raw('keys')).to.deep.equal(['app:k']);
    });

    it('builds msgpack, structured-clone and compressed serializers', async function () {
      const packed = Cache.fromUrl('memory://?serializer=msgpack&compress=brotli');
      expect(packed.serializer.name).to.equal('msgpack');
      await packed.set('k', new Map([[1, 'x'.repeat(5_000)]]));
      expect(await packed.get('k')).to.deep.equal(new Map([[1, 'x'.repeat(5_000)]]));
      expect(Cache.fromUrl('memory://?serializer=structured-clone').serializer.name).to.equal(
        'structured-clone',
      );
      expect(Cache.fromUrl('memory://?compress=gzip').serializer.name).to.equal('json');
    });

    it('lets explicit options override the URL', function () {
      const cache = Cache.fromUrl('memory://?namespace=fromurl', { namespace: 'explicit' });
      expect(cache.namespace).to.equal('explicit');
    });

    it('rejects bad cache URLs with ConfigError naming the field', function () {
      const cases: [string, RegExp, string][] = [
        ['memory://?ttl=soon', /ttl/, 'url.ttl'],
        ['memory://?safe=yes', /safe/, 'url.safe'],
        [
          'memory://?serializer=mspack',
          /url.serializer: unknown serializer "mspack"; known: json, string, msgpack, structured-clone, null; did you mean "msgpack"\?/,
          'url.serializer',
        ],
        ['memory://?maxSize=lots', /maxSize/, 'url.maxSize'],
        ['memory://?maxSize=0', /maxSize/, 'url.maxSize'],
        ['memory://?colour=blue', /unknown memory URL parameter "colour"/, 'url.colour'],
        ['memory://somewhere', /no host/, 'url'],
        ['memcached://h', /unknown cache URL scheme "memcached:"/, 'url'],
        ['localhost:6379', /looks like/, 'url'],
        ['memory://?compress=zip', /expected one of "gzip", "brotli", "deflate"; got "zip"/, 'url.compress'],
        [
          'memory://?serializer=null&compress=gzip',
          /unknown null serializer option "compress"/,
          'url.compress',
        ],
        [
          'redis://127.0.0.1:1/0?connectTimeout=abc',
          /^url\.connectTimeout: connectTimeout must/,
          'url.connectTimeout',
        ],
        // Found when the cache is built, not when the URL is read: still named by the URL's parameter.
        [
          'redis://127.0.0.1:1/0?serializer=null',
          /^url\.serializer: the redis backend cannot store/,
          'url.serializer',
        ],
      ];
      for (const [url, message, path] of cases) {
        expect(() => Cache.fromUrl(url), url)
          .to.throw(ConfigError, message)
          .with.property('path', path);
      }
    });
  });
});
