import { expect } from 'chai';
import {
  CacheRegistry,
  ConfigError,
  HitMissRatioPlugin,
  JsonSerializer,
  MemoryBackend,
  MsgpackSerializer,
  NullSerializer,
  RedisBackend,
  StringSerializer,
  StructuredCloneSerializer,
  TimingPlugin,
  checkOptions,
  checks,
  type OptionsSchema,
} from '../../lib/index.js';

/** The error a config with this alias is refused with. */
function configError(alias: unknown): ConfigError {
  try {
    new CacheRegistry().setConfig({ a: alias as never });
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`the config was accepted: ${JSON.stringify(alias)}`);
}

/** The error `build` throws. */
function thrown(build: () => unknown): Error {
  try {
    build();
  } catch (error) {
    return error as Error;
  }
  throw new Error('nothing was thrown');
}

describe('options schemas', function () {
  it('refuse a bad value with the same words in a constructor and in a config', function () {
    const cases: [string, () => unknown, unknown, string, typeof Error][] = [
      [
        'maxSize',
        () => new MemoryBackend({ maxSize: 0 }),
        { backend: { type: 'memory', maxSize: 0 } },
        'caches.a.backend',
        RangeError,
      ],
      [
        'sweepInterval',
        () => new MemoryBackend({ sweepInterval: 0 }),
        { backend: { type: 'memory', sweepInterval: 0 } },
        'caches.a.backend',
        RangeError,
      ],
      [
        'sizeOf',
        () => new MemoryBackend({ sizeOf: 3 as never }),
        { backend: { type: 'memory', sizeOf: 3 } },
        'caches.a.backend',
        TypeError,
      ],
      [
        'compress',
        () => new JsonSerializer({ compress: 'zip' as never }),
        { serializer: { type: 'json', compress: 'zip' } },
        'caches.a.serializer',
        RangeError,
      ],
      [
        'secret',
        () => new MsgpackSerializer({ secret: 42 as never }),
        { serializer: { type: 'msgpack', secret: 42 } },
        'caches.a.serializer',
        TypeError,
      ],
      [
        'window',
        () => new TimingPlugin({ window: 0 }),
        { plugins: [{ type: 'timing', window: 0 }] },
        'caches.a.plugins[0]',
        RangeError,
      ],
      [
        'scanCount',
        () => new RedisBackend({ scanCount: 0 }),
        { backend: { type: 'redis', scanCount: 0 } },
        'caches.a.backend',
        RangeError,
      ],
    ];
    for (const [option, build, alias, at, ErrorClass] of cases) {
      const fromCode = thrown(build);
      const fromConfig = configError(alias);
      expect(fromCode, option).to.be.instanceOf(ErrorClass);
      const problem = fromConfig.message.slice(`${at}.${option}: `.length);
      expect(fromConfig.path, option).to.equal(`${at}.${option}`);
      expect(fromCode.message, option).to.match(new RegExp(`^\\w+ option ${option}: `));
      expect(fromCode.message.endsWith(`${option}: ${problem}`), `${fromCode.message} / ${problem}`).to.equal(
        true,
      );
    }
  });

  it('name an unknown constructor option and the closest known one', function () {
    const cases: [() => unknown, RegExp][] = [
      [
        () => new MemoryBackend({ maxSzie: 5 } as never),
        /^unknown MemoryBackend option "maxSzie"; did you mean "maxSize"\?$/,
      ],
      [
        () => new JsonSerializer({ secrett: 'x' } as never),
        /unknown JsonSerializer option "secrett"; did you mean "secret"\?/,
      ],
      [() => new StringSerializer({ compres: 'gzip' } as never), /"compres"; did you mean "compress"\?/],
      [
        () => new MsgpackSerializer({ colour: 1 } as never),
        /unknown MsgpackSerializer option "colour"; known: compress/,
      ],
      [() => new StructuredCloneSerializer({ secret: 'k', sekret: 'x' } as never), /did you mean "secret"\?/],
      [
        () => new NullSerializer({ compress: 'gzip' } as never),
        /unknown NullSerializer option "compress"; it takes none/,
      ],
      [
        () => new TimingPlugin({ windw: 8 } as never),
        /unknown TimingPlugin option "windw"; did you mean "window"\?/,
      ],
      [() => new HitMissRatioPlugin({ x: 1 } as never), /unknown HitMissRatioPlugin option "x"/],
      // Names of Object.prototype are unknown options too, not checks.
      [() => new MemoryBackend({ constructor: 1 } as never), /unknown MemoryBackend option "constructor"/],
    ];
    for (const [build, message] of cases) expect(build).to.throw(TypeError, message);
    expect(() => new MemoryBackend(null as never)).to.throw(
      TypeError,
      /MemoryBackend options must be an object/,
    );
  });

  it('let ioredis options through RedisBackend by their own names, checking only larder options', async function () {
    const backend = new RedisBackend({
      lazyConnect: true,
      connectionName: 'x',
      someFutureOption: 1,
    } as never);
    expect(backend.client.options).to.include({ connectionName: 'x', someFutureOption: 1 });
    await backend.close();
    expect(() => new RedisBackend({ client: {} as never })).to.throw(
      TypeError,
      /option client: expected an ioredis/,
    );
    expect(() => new RedisBackend({ autoPipelining: 'yes' as never })).to.throw(TypeError, /autoPipelining/);
    expect(() => new RedisBackend({ url: 'redis://h/abc' }))
      .to.throw(ConfigError, /RedisBackend option url\.db: db must be/)
      .with.property('path', 'url.db');
    // In a config, where values come from JSON, ioredis' options are checked too.
    expect(configError({ backend: { type: 'redis', connectTimout: 5 } }).message).to.match(
      /caches\.a\.backend\.connectTimout: unknown redis backend option "connectTimout"; did you mean "connectTimeout"\?/,
    );
  });

  it('are open to schemas of your own, with the same checks and messages', function () {
    const schema: OptionsSchema = {
      fields: {
        table: checks.string,
        capacity: checks.integer(1, 40_000),
        mode: checks.oneOf('fast', 'safe'),
        ttl: checks.nullable(checks.duration()),
        retry: checks.either(checks.boolean, checks.integer(0)),
      },
    };
    expect(() =>
      checkOptions({ table: 't', capacity: 5, mode: 'fast', ttl: null, retry: 3 }, schema, 'Dynamo'),
    ).not.to.throw();
    expect(() => checkOptions({ capacity: 50_000 }, schema, 'Dynamo')).to.throw(
      RangeError,
      'Dynamo option capacity: expected an integer from 1 to 40000; got 50000',
    );
    expect(() => checkOptions({ mode: 'slow' }, schema, 'Dynamo')).to.throw(
      RangeError,
      'Dynamo option mode: expected one of "fast", "safe"; got "slow"',
    );
    expect(() => checkOptions({ table: 5 }, schema, 'Dynamo')).to.throw(
      TypeError,
      'expected a string; got 5',
    );
    expect(() => checkOptions({ ttl: 'soon' }, schema, 'Dynamo')).to.throw(
      RangeError,
      /ttl: must be a duration/,
    );
    expect(() => checkOptions({ tabel: 't' }, schema, 'Dynamo')).to.throw(
      TypeError,
      'unknown Dynamo option "tabel"; did you mean "table"?',
    );
  });
});
