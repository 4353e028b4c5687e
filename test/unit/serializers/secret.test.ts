import { expect } from 'chai';
import {
  CacheRegistry,
  ConfigError,
  JsonSerializer,
  MsgpackSerializer,
  StructuredCloneSerializer,
  StringSerializer,
} from '../../../lib/index.js';

// Issue 14: `secret: process.env.CACHE_SECRET` with the variable unset must not store unsigned
// payloads; leaving `secret` out is the only way to ask for none.
describe('serializers: a secret given without a value', function () {
  const makers = [
    (options: { secret?: string }) => new JsonSerializer(options),
    (options: { secret?: string }) => new MsgpackSerializer(options),
    (options: { secret?: string }) => new StringSerializer(options),
    (options: { secret?: string }) => new StructuredCloneSerializer(options),
  ];

  it('refuses secret: undefined with a TypeError that says the secret is missing', function () {
    for (const make of makers) {
      expect(() => make({ secret: undefined })).to.throw(
        TypeError,
        /option secret is undefined — is the environment variable that holds it \(CACHE_SECRET\?\) set\?/,
      );
    }
  });

  it('refuses an empty secret, saying so', function () {
    for (const make of makers) {
      expect(() => make({ secret: '' })).to.throw(RangeError, /secret: the secret is empty/);
    }
    expect(() => new JsonSerializer({ secret: new Uint8Array(0) })).to.throw(RangeError, /secret is empty/);
  });

  it('leaving secret out still means unsigned payloads, in the format’s own form', function () {
    expect(new JsonSerializer({}).dumps({ a: 1 })).to.equal('{"a":1}');
    expect(new JsonSerializer({ compress: 'gzip' }).enveloped).to.equal(true);
    expect(new JsonSerializer({}).enveloped).to.equal(false);
  });

  it('in a config, secret: undefined or "" is a ConfigError at the secret’s path', function () {
    const registry = new CacheRegistry();
    const refused = (serializer: { type: string } & Record<string, unknown>, message: RegExp): void => {
      let error: unknown;
      try {
        registry.setConfig({ sessions: { backend: 'memory', serializer } });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(ConfigError).with.property('path', 'caches.sessions.serializer.secret');
      expect((error as Error).message).to.match(message);
    };
    refused(
      { type: 'json', secret: undefined },
      /^caches\.sessions\.serializer\.secret: secret is undefined — /,
    );
    refused({ type: 'msgpack', secret: '' }, /^caches\.sessions\.serializer\.secret: the secret is empty/);
    registry.setConfig({ sessions: { backend: 'memory', serializer: { type: 'json', compress: 'gzip' } } });
  });
});
