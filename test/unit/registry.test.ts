import { expect } from 'chai';
import sinon from 'sinon';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BaseSerializer,
  Cache,
  CacheRegistry,
  ConfigError,
  HitMissRatioPlugin,
  JsonSerializer,
  MemoryBackend,
  MsgpackSerializer,
  TimingPlugin,
  caches,
  type Plugin,
  type SerializerOptions,
} from '../../lib/index.js';
import { recordingLogger } from '../support/recording-logger.js';

class ReversingSerializer extends BaseSerializer {
  readonly name = 'reversing';
  constructor(options?: SerializerOptions) {
    super(options);
  }
  protected encode(value: unknown): string {
    return [...String(value)].reverse().join('');
  }
  protected decode(payload: string | Uint8Array): string {
    return [...(typeof payload === 'string' ? payload : Buffer.from(payload).toString())].reverse().join('');
  }
}

class CountingPlugin implements Plugin {
  static created = 0;
  static reads = 0;
  readonly label: string;
  constructor(options: { label?: string } = {}) {
    CountingPlugin.created++;
    this.label = options.label ?? 'none';
  }
  preGet(): void {
    CountingPlugin.reads++;
  }
}

describe('the caches registry', function () {
  let registry: CacheRegistry;
  let dir: string;

  beforeEach(function () {
    registry = new CacheRegistry();
    dir = mkdtempSync(join(tmpdir(), 'larder-config-'));
  });

  afterEach(async function () {
    await registry.closeAll();
    rmSync(dir, { recursive: true, force: true });
    delete process.env.LARDER_CONFIG;
  });

  it('exports one process-wide registry', function () {
    expect(caches).to.be.instanceOf(CacheRegistry);
  });

  it('gives an in-memory default with no config at all', async function () {
    const cache = registry.get();
    expect(cache.backend).to.be.instanceOf(MemoryBackend);
    expect(registry.get('default')).to.equal(cache);
    await cache.set('k', 1);
    expect(await registry.get().get('k')).to.equal(1);
  });

  it('builds aliases from objects and URL strings, lazily, the same instance every time', async function () {
    registry.setConfig({
      default: { backend: { type: 'memory', maxSize: 100 }, ttl: '5m', namespace: 'app' },
      packed: 'memory://?serializer=msgpack&namespace=p&safe=true',
      timed: {
        plugins: ['hit-miss-ratio', { type: 'timing', window: 16 }],
        serializer: { type: 'json', compress: 'gzip' },
      },
    });
    const main = registry.get();
    expect(main).to.include({ namespace: 'app' });
    expect((main.backend as MemoryBackend).maxSize).to.equal(100);
    // Date stands still, so the ttl read is exactly the one written, however slow the machine.
    const time = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    await main.set('k', 1);
    expect(await main.ttl('k')).to.equal(300_000);
    time.restore();
    const packed = registry.get('packed');
    expect(packed.serializer).to.be.instanceOf(MsgpackSerializer);
    expect(packed.safe).to.equal(true);
    expect(registry.get('packed')).to.equal(packed);
    expect(registry.get('timed').serializer).to.be.instanceOf(JsonSerializer);
  });

  it('lets default be left out of a config', function () {
    registry.setConfig({ other: { namespace: 'o' } });
    expect(registry.get().backend).to.be.instanceOf(MemoryBackend);
  });

  it('throws ConfigError for an unknown alias, listing the known ones', function () {
    registry.setConfig({ sessions: 'memory://', reports: 'memory://' });
    expect(() => registry.get('sesions')).to.throw(
      ConfigError,
      'unknown cache alias "sesions"; known: default, sessions, reports',
    );
  });

  it('create builds a new instance every call, with overrides', async function () {
    registry.setConfig({ sessions: { namespace: 'sess', ttl: '1h' } });
    const a = registry.create('sessions', { ttl: '1m' });
    const b = registry.create('sessions');
    expect(a).not.to.equal(b);
    expect(a).not.to.equal(registry.get('sessions'));
    // Date stands still, so the ttl read is exactly the one written, however slow the machine.
    const time = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    await a.set('k', 1);
    expect(await a.ttl('k')).to.equal(60_000);
    time.restore();
    expect(a.namespace).to.equal('sess');
    await Promise.all([a.close(), b.close()]);
  });

  it('add adds one alias, refusing one that exists', function () {
    registry.setConfig({ one: 'memory://?namespace=one' });
    registry.add('two', { namespace: 'two' });
    expect(registry.get('two').namespace).to.equal('two');
    expect(() => registry.add('one', 'memory://')).to.throw(ConfigError, /exists already/);
    expect(() => registry.add('three', { ttl: 'x' })).to.throw(ConfigError);
    expect(Object.keys(registry.getConfig())).to.deep.equal(['one', 'two']);
  });

  it('getConfig returns a copy of the config as given, before env interpolation', function () {
    process.env.LARDER_TEST_NS = 'from-env';
    const config = { a: { namespace: '${LARDER_TEST_NS}' } };
    registry.setConfig(config);
    const copy = registry.getConfig() as { a: { namespace: string } };
    expect(copy).to.deep.equal(config);
    copy.a.namespace = 'mutated';
    expect(registry.get('a').namespace).to.equal('from-env');
    expect((registry.getConfig() as { a: { namespace: string } }).a.namespace).to.equal('${LARDER_TEST_NS}');
  });

  it('setConfig closes the instances it replaces', async function () {
    registry.setConfig({ a: 'memory://' });
    const before = registry.get('a');
    registry.setConfig({ a: 'memory://?namespace=new' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(before.closed).to.equal(true);
    expect(registry.get('a').namespace).to.equal('new');
  });

  it('closeAll closes every built cache, and get builds anew afterwards', async function () {
    const first = registry.get();
    await registry.closeAll();
    expect(first.closed).to.equal(true);
    const second = registry.get();
    expect(second).not.to.equal(first);
    expect(second.closed).to.equal(false);
  });

  it('loads a JSON config file, and names the file in errors', async function () {
    const file = join(dir, 'larder.config.json');
    writeFileSync(
      file,
      JSON.stringify({ default: { namespace: 'from-file' }, fast: 'memory://?maxSize=10' }),
    );
    registry.loadConfig(file);
    expect(registry.get().namespace).to.equal('from-file');
    writeFileSync(file, '{ "default": ');
    expect(() => registry.loadConfig(file)).to.throw(ConfigError, /not valid JSON/);
    writeFileSync(file, JSON.stringify({ default: { ttl: 'later' } }));
    expect(() => registry.loadConfig(file)).to.throw(
      ConfigError,
      /caches\.default\.ttl: .* \(in .*larder\.config\.json\)/,
    );
    expect(() => registry.loadConfig(join(dir, 'missing.json'))).to.throw(
      ConfigError,
      /cannot read config file/,
    );
  });

  it('loads the file LARDER_CONFIG names on first use', function () {
    const file = join(dir, 'env.json');
    writeFileSync(file, JSON.stringify({ default: { namespace: 'via-env' } }));
    process.env.LARDER_CONFIG = file;
    expect(registry.get().namespace).to.equal('via-env');
  });

  it('keeps a bad LARDER_CONFIG an error on every later call, never an in-memory default', function () {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ sessions: { serializer: 'mspack' } }));
    process.env.LARDER_CONFIG = file;
    const first = (() => {
      try {
        registry.get();
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(first).to.be.instanceOf(ConfigError);
    for (const call of [() => registry.get(), () => registry.get('sessions'), () => registry.create()]) {
      expect(call).to.throw(ConfigError).that.equals(first);
    }
    // An explicit config replaces it.
    registry.setConfig({ default: { namespace: 'explicit' } });
    expect(registry.get().namespace).to.equal('explicit');
  });

  it('builds registered backends, serializers and plugins by name, with their options', async function () {
    registry.register('serializer', 'reversing', ReversingSerializer);
    registry.register('plugin', 'counting', CountingPlugin);
    registry.register('backend', 'small-memory', MemoryBackend);
    registry.register('serializer', 'reversing', ReversingSerializer);
    registry.setConfig({
      custom: {
        backend: { type: 'small-memory', maxSize: 2 },
        serializer: { type: 'reversing', compress: 'gzip' },
        plugins: [{ type: 'counting', label: 'x' }],
      },
    });
    const cache = registry.get('custom');
    await cache.set('k', 'abc');
    expect((cache.backend as MemoryBackend).maxSize).to.equal(2);
    expect(cache.serializer).to.be.instanceOf(ReversingSerializer);
    expect(await cache.get('k')).to.equal('abc');
    expect(CountingPlugin.created).to.be.at.least(1);
    expect(CountingPlugin.reads).to.be.at.least(1);
    expect((cache.plugins[0] as CountingPlugin).label).to.equal('x');
  });

  it('refuses a registered name taken by another class, and bad registrations', function () {
    expect(() => registry.register('serializer', 'json', ReversingSerializer)).to.throw(
      ConfigError,
      /already registered \(built in\)/,
    );
    expect(() => registry.register('widget' as never, 'x', ReversingSerializer as never)).to.throw(
      TypeError,
      /kind/,
    );
    expect(() => registry.register('plugin', 'has space', CountingPlugin)).to.throw(TypeError, /name/);
    expect(() => registry.register('plugin', 'fine', 'not a class' as never)).to.throw(TypeError, /class/);
  });

  it('wraps a constructor that refuses its options in a ConfigError naming the alias', function () {
    class Picky extends MemoryBackend {
      constructor() {
        super();
        throw new RangeError('picky refuses');
      }
    }
    registry.register('backend', 'picky', Picky);
    registry.setConfig({ p: { backend: 'picky' } });
    expect(() => registry.get('p')).to.throw(ConfigError, 'caches.p.backend: picky refuses');
  });

  it('create(alias, overrides) builds none of the backend, serializer or plugins it is told to replace', async function () {
    class CountedBackend extends MemoryBackend {
      static created = 0;
      constructor(options?: ConstructorParameters<typeof MemoryBackend>[0]) {
        super(options);
        CountedBackend.created++;
      }
    }
    class CountedSerializer extends JsonSerializer {
      static created = 0;
      constructor(options?: SerializerOptions) {
        super(options);
        CountedSerializer.created++;
      }
    }
    registry.register('backend', 'counted', CountedBackend);
    registry.register('serializer', 'counted', CountedSerializer);
    registry.register('plugin', 'counting', CountingPlugin);
    registry.setConfig({
      a: { backend: 'counted', serializer: 'counted', plugins: ['counting'], namespace: 'n' },
    });
    const pluginsBefore = CountingPlugin.created;
    const backend = new MemoryBackend();
    const serializer = new MsgpackSerializer();
    const plugin = new HitMissRatioPlugin();
    const cache = registry.create('a', { backend, serializer, plugins: [plugin] });
    expect(CountedBackend.created, 'backends built').to.equal(0);
    expect(CountedSerializer.created, 'serializers built').to.equal(0);
    expect(CountingPlugin.created - pluginsBefore, 'plugins built').to.equal(0);
    expect(cache.backend).to.equal(backend);
    expect(cache.serializer).to.equal(serializer);
    expect(cache.plugins).to.deep.equal([plugin]);
    expect(cache.namespace).to.equal('n');
    // An override left undefined inherits the config's, as undefined options do everywhere.
    const inherited = registry.create('a', { backend: undefined, serializer: undefined });
    expect(inherited.backend).to.be.instanceOf(CountedBackend);
    expect(inherited.serializer).to.be.instanceOf(CountedSerializer);
    expect(CountedBackend.created).to.equal(1);
    await Promise.all([cache.close(), inherited.close()]);
  });

  it('binds the alias into every log record', async function () {
    const { logger, records } = recordingLogger();
    registry.setLogger(logger);
    registry.setConfig({ noisy: { safe: true } });
    const cache = registry.get('noisy');
    (cache.backend as MemoryBackend).get = () => {
      throw new Error('boom');
    };
    await cache.get('k');
    expect(records.at(-1)).to.include({ alias: 'noisy', op: 'get', key: 'k', backend: 'memory' });
  });

  it('builds the plugins a config names, reachable through cache.plugins', async function () {
    registry.setConfig({ observed: { plugins: ['hit-miss-ratio', { type: 'timing', window: 8 }] } });
    const cache = registry.get('observed');
    await cache.set('k', 1);
    await cache.get('k');
    await cache.get('missing');
    const [ratio, timing] = cache.plugins;
    expect(ratio).to.be.instanceOf(HitMissRatioPlugin);
    expect((ratio as HitMissRatioPlugin).stats()).to.include({ hits: 1, misses: 1 });
    expect(timing).to.be.instanceOf(TimingPlugin);
    expect((timing as TimingPlugin).window).to.equal(8);
    expect((timing as TimingPlugin).stats().get!.count).to.equal(2);
  });
});

describe('built-in plugins', function () {
  it('HitMissRatioPlugin counts every key looked up, multiGet and getOrSet included, and resets', async function () {
    const ratio = new HitMissRatioPlugin();
    const cache = new Cache({ plugins: [ratio] });
    expect(ratio.stats()).to.deep.equal({ hits: 0, misses: 0, total: 0, hitRatio: 0 });
    await cache.set('a', 1);
    await cache.get('a');
    await cache.get('b', { default: 'd' });
    await cache.multiGet(['a', 'b', 'c']);
    await cache.getOrSet('g', () => 'v');
    await cache.getOrSet('g', () => 'v');
    expect(ratio.stats()).to.deep.equal({ hits: 3, misses: 4, total: 7, hitRatio: 3 / 7 });
    ratio.reset();
    expect(ratio.stats().total).to.equal(0);
  });

  it('TimingPlugin reports count, min, max, avg, p50 and p99 per operation over a bounded window', async function () {
    const timing = new TimingPlugin({ window: 4 });
    const cache = new Cache({ plugins: [timing] });
    for (let i = 0; i < 10; i++) await cache.set(`k${i}`, i);
    await cache.get('k1');
    const stats = timing.stats();
    expect(Object.keys(stats).sort()).to.deep.equal(['get', 'set']);
    expect(stats.set!.count).to.equal(10);
    expect(stats.get!.count).to.equal(1);
    for (const value of Object.values(stats.set!)) expect(value).to.be.a('number').and.at.least(0);
    expect(stats.set!.minMs).to.be.at.most(stats.set!.p50Ms);
    expect(stats.set!.p50Ms).to.be.at.most(stats.set!.p99Ms);
    expect(stats.set!.p99Ms).to.be.at.most(stats.set!.maxMs);
    timing.reset();
    expect(timing.stats()).to.deep.equal({});
    expect(() => new TimingPlugin({ window: 0 })).to.throw(RangeError, /window/);
  });
});
