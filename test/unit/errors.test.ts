import { expect } from 'chai';
import {
  BackendError,
  CacheClosedError,
  CacheTimeoutError,
  CircuitOpenError,
  ConfigError,
  KeyExistsError,
  LarderError,
  LockTimeoutError,
  OptimisticLockError,
  RateLimitError,
  SerializationError,
} from '../../lib/index.js';

describe('errors', function () {
  const cause = new Error('root cause');
  const errors: [LarderError, string, string][] = [
    [new KeyExistsError('k'), 'LARDER_KEY_EXISTS', 'KeyExistsError'],
    [new CacheTimeoutError('get', 50, 'k'), 'LARDER_TIMEOUT', 'CacheTimeoutError'],
    [new BackendError('set', 'redis', cause), 'LARDER_BACKEND', 'BackendError'],
    [
      new SerializationError('bad', 'json', { key: 'k', cause }),
      'LARDER_SERIALIZATION',
      'SerializationError',
    ],
    [new ConfigError('bad', { path: 'caches.x.ttl' }), 'LARDER_CONFIG', 'ConfigError'],
    [new OptimisticLockError('k'), 'LARDER_OPTIMISTIC_LOCK', 'OptimisticLockError'],
    [new LockTimeoutError('k', 100), 'LARDER_LOCK_TIMEOUT', 'LockTimeoutError'],
    [new CacheClosedError('get'), 'LARDER_CLOSED', 'CacheClosedError'],
    [new RateLimitError('k', 1_000), 'LARDER_RATE_LIMITED', 'RateLimitError'],
    [new CircuitOpenError('k', 500), 'LARDER_CIRCUIT_OPEN', 'CircuitOpenError'],
  ];

  it('all extend LarderError and Error, with a stable code and their own name', function () {
    const codes = new Set<string>();
    for (const [error, code, name] of errors) {
      expect(error).to.be.instanceOf(LarderError).and.instanceOf(Error);
      expect(error.code).to.equal(code);
      expect(error.name).to.equal(name);
      codes.add(code);
    }
    expect(codes.size).to.equal(errors.length);
  });

  it('carry the fields and cause they describe', function () {
    expect(new BackendError('set', 'redis', cause)).to.include({ op: 'set', backend: 'redis', cause });
    expect(new BackendError('set', 'redis', cause).message).to.match(/redis.*set.*root cause/);
    expect(new CacheTimeoutError('get', 50, 'k')).to.include({ op: 'get', key: 'k', timeoutMs: 50 });
    expect(new SerializationError('bad', 'json', { key: 'k', cause })).to.include({
      key: 'k',
      serializer: 'json',
      cause,
    });
    expect(new ConfigError('bad', { path: 'caches.x.ttl' }).path).to.equal('caches.x.ttl');
    expect(new KeyExistsError('user:1').message).to.contain('"user:1"');
    expect(new LockTimeoutError('k', 100)).to.include({ key: 'k', waitMs: 100 });
  });
});
