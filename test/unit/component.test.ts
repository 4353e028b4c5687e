import { expect } from 'chai';
import {
  Cache,
  CacheRegistry,
  ConfigError,
  MemoryBackend,
  checkOptions,
  checks,
  type BackendDescriptor,
  type BackendUrl,
  type Logger,
  type MemoryBackendOptions,
  type OptionsSchema,
  type PluginDescriptor,
} from '../../lib/index.js';
import { recordingLogger } from '../support/recording-logger.js';

interface TableBackendOptions extends MemoryBackendOptions {
  readonly table?: string;
  readonly logger?: Logger;
}

const TABLE_OPTIONS: OptionsSchema = {
  fields: { table: checks.string, maxSize: checks.integer(1), logger: checks.object },
};

/** A backend of a third party's: a memory backend that remembers its table name and logger. */
class TableBackend extends MemoryBackend {
  static built: TableBackendOptions[] = [];
  static readonly descriptor: BackendDescriptor<TableBackendOptions> = {
    kind: 'backend',
    type: 'table',
    options: TABLE_OPTIONS,
    schemes: ['table'],
    fromUrl: ({ base, params }: BackendUrl) => ({
      table: base.slice('table://'.length),
      ...Object.fromEntries([...params].map(([name, value]) => [name, Number(value)])),
    }),
    build: (options, { logger }) => new TableBackend({ logger, ...options }),
  };
  readonly table: string;
  readonly logger: Logger | undefined;

  constructor(options: TableBackendOptions = {}) {
    checkOptions(options, TABLE_OPTIONS, 'TableBackend');
    const { table = 'main', logger, ...memory } = options;
    super(memory);
    this.table = table;
    this.logger = logger;
    TableBackend.built.push(options);
  }
}

describe('component descriptors in the registry', function () {
  let registry: CacheRegistry;

  beforeEach(function () {
    registry = new CacheRegistry();
    TableBackend.built = [];
  });

  afterEach(async function () {
    await registry.closeAll();
  });

  it('a class carrying a descriptor gets its options checked when the config is set', function () {
    registry.register('backend', 'table', TableBackend);
    expect(() => registry.setConfig({ a: { backend: { type: 'table', tabel: 'x' } } }))
      .to.throw(
        ConfigError,
        'caches.a.backend.tabel: unknown table backend option "tabel"; did you mean "table"?',
      )
      .with.property('path', 'caches.a.backend.tabel');
    expect(() => registry.setConfig({ a: { backend: { type: 'table', maxSize: 0 } } }))
      .to.throw(ConfigError, 'caches.a.backend.maxSize: expected an integer from 1 up; got 0')
      .with.property('path', 'caches.a.backend.maxSize');
    expect(TableBackend.built).to.deep.equal([]);
  });

  it("its build gets the cache's logger, bound to the alias", async function () {
    const { logger, records } = recordingLogger();
    registry.setLogger(logger);
    registry.register('backend', 'table', TableBackend);
    registry.setConfig({ a: { backend: { type: 'table', table: 'users' } } });
    const backend = registry.get('a').backend as TableBackend;
    expect(backend.table).to.equal('users');
    backend.logger!.warn('from the backend');
    expect(records.at(-1)).to.include({ alias: 'a', msg: 'from the backend' });
  });

  it('its URL schemes become cache URLs, their parameters checked like its options', function () {
    registry.register('backend', 'table', TableBackend);
    registry.setConfig({ a: 'table://users?maxSize=5&namespace=n' });
    const cache = registry.get('a');
    expect(cache.namespace).to.equal('n');
    expect((cache.backend as TableBackend).table).to.equal('users');
    expect((cache.backend as TableBackend).maxSize).to.equal(5);
    expect(() => registry.setConfig({ b: 'table://users?maxSize=0' }))
      .to.throw(ConfigError, /^caches\.b\.url\.maxSize: expected an integer from 1 up; got 0/)
      .with.property('path', 'caches.b.url.maxSize');
    // Cache.fromUrl knows the built-in types only.
    expect(() => Cache.fromUrl('table://users')).to.throw(ConfigError, /unknown cache URL scheme "table:"/);
  });

  it('takes a descriptor as it is, for plugins and serializers too', async function () {
    const seen: unknown[] = [];
    const counting: PluginDescriptor<{ readonly label?: string }> = {
      kind: 'plugin',
      type: 'counting',
      options: { fields: { label: checks.string } },
      build: (options, { logger }) => {
        seen.push(options.label, typeof logger.child);
        return {};
      },
    };
    registry.register('plugin', 'counting', counting);
    registry.register('plugin', 'counting', counting);
    expect(() => registry.setConfig({ a: { plugins: [{ type: 'counting', label: 5 }] } })).to.throw(
      ConfigError,
      'caches.a.plugins[0].label: expected a string; got 5',
    );
    registry.setConfig({ a: { plugins: [{ type: 'counting', label: 'x' }] } });
    expect(registry.get('a').plugins).to.have.length(1);
    expect(seen).to.deep.equal(['x', 'function']);
  });

  it('a subclass does not inherit its parent descriptor: it is registered as a plain class', function () {
    class Wider extends TableBackend {}
    registry.register('backend', 'wider', Wider);
    registry.setConfig({ a: { backend: { type: 'wider', anything: 1 } } });
    expect(() => registry.get('a')).to.throw(
      ConfigError,
      /^caches\.a\.backend: unknown TableBackend option "anything"/,
    );
    registry.setConfig({ a: { backend: { type: 'wider', table: 't' } } });
    expect(registry.get('a').backend).to.be.instanceOf(Wider);
    expect(() => registry.setConfig({ b: 'table://x' })).to.throw(ConfigError, /unknown cache URL scheme/);
  });

  it('refuses a URL scheme another backend has, and descriptors that do not add up', function () {
    expect(() =>
      registry.register('backend', 'my-redis', {
        ...TableBackend.descriptor,
        type: 'my-redis',
        schemes: ['rediss'],
      }),
    ).to.throw(ConfigError, /claims the URL scheme "rediss:", which backend "redis" has/);
    // The same descriptor under a second name leaves its schemes to the first.
    registry.register('backend', 'table', TableBackend);
    registry.register('backend', 'table-too', TableBackend.descriptor);
    registry.setConfig({ a: 'table://users', b: { backend: 'table-too' } });
    expect(registry.get('a').backend).to.be.instanceOf(TableBackend);
    expect(registry.get('b').backend).to.be.instanceOf(TableBackend);

    const plugin: PluginDescriptor = { kind: 'plugin', type: 'p', build: () => ({}) };
    expect(() => registry.register('backend', 'p', plugin as never)).to.throw(
      TypeError,
      /describes a plugin/,
    );
    expect(() =>
      registry.register('backend', 'u', { ...TableBackend.descriptor, fromUrl: undefined }),
    ).to.throw(TypeError, /needs fromUrl/);
    expect(() =>
      registry.register('backend', 'v', { ...TableBackend.descriptor, schemes: ['Bad:'] }),
    ).to.throw(TypeError, /schemes/);
    expect(() => registry.register('serializer', 'w', { kind: 'serializer' } as never)).to.throw(
      TypeError,
      /class or a descriptor/,
    );
  });
});
