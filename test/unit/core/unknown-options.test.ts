import { expect } from 'chai';
import {
  BackendError,
  Cache,
  CacheRegistry,
  MemoryBackend,
  cached,
  multiCached,
} from '../../../lib/index.js';

// Options built in variables, or from JavaScript: TypeScript cannot catch these typos.
const loose = (options: Record<string, unknown>): never => options as never;

describe('unknown options are errors that name the closest known one', function () {
  it('new Cache refuses a typo instead of taking it for the default (a clear() that empties the db)', function () {
    expect(() => new Cache(loose({ backend: new MemoryBackend(), namepsace: 'sess' }))).to.throw(
      TypeError,
      'unknown Cache option "namepsace"; did you mean "namespace"?',
    );
  });

  it('cached() and multiCached() refuse one at wrap time', function () {
    expect(() => cached(async () => 1, loose({ tll: '1m' }))).to.throw(
      TypeError,
      'unknown cached() option "tll"; did you mean "ttl"?',
    );
    expect(() => cached(loose({ staleTTL: '1m' }))).to.throw(TypeError, /did you mean "staleTtl"/);
    expect(() => multiCached(async (ids: string[]) => ids, loose({ keyFrom: 0 }))).to.throw(
      TypeError,
      'unknown multiCached() option "keyFrom"; did you mean "keysFrom"?',
    );
  });

  it("caches.create refuses its overrides' mistakes as the caller's TypeError / RangeError, not a ConfigError", function () {
    const registry = new CacheRegistry();
    registry.setConfig({ default: { backend: 'memory' } });
    expect(() => registry.create('default', loose({ namepsace: 'x' }))).to.throw(
      TypeError,
      /did you mean "namespace"/,
    );
    expect(() => registry.create('default', { ttl: -1 })).to.throw(RangeError, /ttl/);
    expect(registry.create('default', { namespace: 'fine' }).namespace).to.equal('fine');
  });
});

describe('the logger option', function () {
  it('takes any pino-shaped object and logs through it, and says what a console lacks', async function () {
    expect(() => new Cache({ logger: console as never })).to.throw(TypeError, /pino-shaped.*lacks child/);
    const warnings: unknown[][] = [];
    const shaped = {
      error: () => undefined,
      warn: (...args: unknown[]) => warnings.push(args),
      info: () => undefined,
      debug: () => undefined,
      child: () => shaped,
    };
    class Down extends MemoryBackend {
      override get(): never {
        throw new Error('down');
      }
    }
    const cache = new Cache({ logger: shaped as never, safe: true, backend: new Down() });
    expect(await cache.get('k')).to.equal(undefined);
    expect(warnings).to.have.length(1);
    const [fields] = warnings[0] as [{ err: Error }];
    expect(fields.err).to.be.instanceOf(BackendError).and.have.nested.property('cause.message', 'down');
    await cache.close();
  });
});
