// MemoryBackend against a plain model of an LRU store with expiry: random sequences of operations
// must give the same answers, sizes and byte counts. The model is deliberately naive (a Map in
// recency order), so it is easy to believe; the backend keeps its entries in typed arrays.
import { expect } from 'chai';
import fc from 'fast-check';
import sinon from 'sinon';
import { MemoryBackend } from '../../../lib/index.js';
import { KeyHandle } from '../../../lib/backends/backend.js';

interface ModelEntry {
  value: string;
  expiresAt: number;
}

type Operation =
  | { op: 'set' | 'putRemembered'; key: string; value: string; ttl: number }
  | { op: 'add'; key: string; value: string; ttl: number }
  | { op: 'get' | 'getRemembered' | 'delete' | 'exists' | 'ttl'; key: string }
  | { op: 'expire'; key: string; ttl: number }
  | { op: 'multiGet'; keys: string[] }
  | { op: 'tick'; ms: number }
  | { op: 'sweep' | 'clear' };

/** The store as a spec would describe it: a Map whose insertion order is the recency order. */
class Model {
  readonly entries = new Map<string, ModelEntry>();

  constructor(
    readonly maxSize: number,
    readonly maxBytes: number,
  ) {}

  get bytes(): number {
    if (this.maxBytes === 0) return 0;
    let bytes = 0;
    for (const entry of this.entries.values()) bytes += entry.value.length;
    return bytes;
  }

  live(key: string, now: number): ModelEntry | undefined {
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.expiresAt !== 0 && entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  read(key: string, now: number): string | undefined {
    const entry = this.live(key, now);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  write(key: string, value: string, ttl: number, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: ttl === 0 ? 0 : now + ttl });
    while (this.entries.size > this.maxSize || (this.maxBytes !== 0 && this.bytes > this.maxBytes)) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }

  sweep(now: number): void {
    for (const key of [...this.entries.keys()]) this.live(key, now);
  }

  /** How many entries have not expired by `now`, without reclaiming any. */
  liveAt(now: number): number {
    let size = 0;
    for (const entry of this.entries.values()) if (entry.expiresAt === 0 || entry.expiresAt > now) size++;
    return size;
  }
}

const keyArb = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g');
const ttlArb = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 }));
const valueArb = fc.string({ maxLength: 6 });
const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key: keyArb, value: valueArb, ttl: ttlArb }),
  fc.record({ op: fc.constant('add' as const), key: keyArb, value: valueArb, ttl: ttlArb }),
  fc.record({ op: fc.constantFrom('get' as const, 'delete' as const, 'exists' as const), key: keyArb }),
  // Often enough that a remembered slot is freed and taken by another key between two reads.
  fc.record({ op: fc.constant('getRemembered' as const), key: keyArb }),
  fc.record({ op: fc.constant('putRemembered' as const), key: keyArb, value: valueArb, ttl: ttlArb }),
  fc.record({ op: fc.constant('ttl' as const), key: keyArb }),
  fc.record({ op: fc.constant('expire' as const), key: keyArb, ttl: ttlArb }),
  fc.record({ op: fc.constant('multiGet' as const), keys: fc.array(keyArb, { maxLength: 4 }) }),
  fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 30 }) }),
  fc.constant({ op: 'sweep' as const }),
  fc.constant({ op: 'clear' as const }),
  fc.record({ op: fc.constant('set' as const), key: keyArb, value: valueArb, ttl: fc.constant(0) }),
);

// More and shorter ticks, so that background sweeps run often and reads land just before and after.
const withShortTicks: fc.Arbitrary<Operation> = fc.oneof(
  operationArb,
  fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 6 }) }),
);

/** Applies one operation to both; returns [backend's answer, model's answer]. */
const rememberedKeys = new Map<string, KeyHandle>();
function rememberedKey(key: string): KeyHandle {
  let remembered = rememberedKeys.get(key);
  if (remembered === undefined) rememberedKeys.set(key, (remembered = new KeyHandle(key)));
  return remembered;
}

function apply(
  backend: MemoryBackend,
  model: Model,
  step: Operation,
  clock: sinon.SinonFakeTimers,
): [unknown, unknown] {
  const now = Date.now();
  switch (step.op) {
    case 'set':
      backend.set(step.key, step.value, step.ttl);
      model.write(step.key, step.value, step.ttl, now);
      return [undefined, undefined];
    case 'add': {
      const added = model.live(step.key, now) === undefined;
      if (added) model.write(step.key, step.value, step.ttl, now);
      return [backend.add(step.key, step.value, step.ttl), added];
    }
    case 'get':
      return [backend.get(step.key), model.read(step.key, now)];
    case 'getRemembered':
      // One remembered key per key for the whole run: its hint goes stale as slots are freed,
      // reused and cleared, and must never give another key's value.
      return [backend.peek(rememberedKey(step.key)), model.read(step.key, now)];
    case 'putRemembered':
      // Nor may a write through a stale hint land on another key's slot.
      backend.put(rememberedKey(step.key), step.value, step.ttl);
      model.write(step.key, step.value, step.ttl, now);
      return [undefined, undefined];
    case 'multiGet':
      return [backend.multiGet(step.keys), step.keys.map((key) => model.read(key, now))];
    case 'delete': {
      const present = model.live(step.key, now) !== undefined;
      model.entries.delete(step.key);
      return [backend.delete(step.key), present ? 1 : 0];
    }
    case 'exists':
      return [backend.exists(step.key), model.live(step.key, now) !== undefined];
    case 'ttl': {
      const entry = model.live(step.key, now);
      const expected =
        entry === undefined ? undefined : entry.expiresAt === 0 ? Infinity : entry.expiresAt - now;
      return [backend.ttl(step.key), expected];
    }
    case 'expire': {
      const entry = model.live(step.key, now);
      if (entry !== undefined) entry.expiresAt = step.ttl === 0 ? 0 : now + step.ttl;
      return [backend.expire(step.key, step.ttl), entry !== undefined];
    }
    case 'tick':
      clock.tick(step.ms);
      return [undefined, undefined];
    case 'clear':
      backend.clear('');
      model.entries.clear();
      return [undefined, undefined];
    case 'sweep':
      model.sweep(now);
      return [backend.raw('keys', []), [...model.entries.keys()]];
  }
}

describe('MemoryBackend against a model (property)', function () {
  // Hundreds of random runs each: CPU work that a loaded machine (CI beside other jobs) can slow
  // several times over, with nothing to wait for; the time limit is for a hang, not for speed.
  this.timeout(60_000);
  let clock: sinon.SinonFakeTimers;

  beforeEach(function () {
    clock = sinon.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
  });

  afterEach(function () {
    clock.restore();
  });

  for (const maxBytes of [0, 12]) {
    it(`answers as the model does, with maxSize 1–6${maxBytes === 0 ? '' : ` and maxBytes ${maxBytes}`}`, function () {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 6 }),
          fc.array(operationArb, { minLength: 10, maxLength: 120 }),
          (maxSize, steps) => {
            // The sweep runs only when the test asks (raw('keys')), so the model knows when entries go.
            const backend = new MemoryBackend({
              maxSize,
              maxBytes,
              sweepInterval: '1h',
              ...(maxBytes === 0 ? {} : { sizeOf: (value: unknown) => (value as string).length }),
            });
            const model = new Model(maxSize, maxBytes);
            rememberedKeys.clear();
            try {
              steps.forEach((step, i) => {
                const where = `step ${i}: ${JSON.stringify(step)}`;
                answersAlike(step, apply(backend, model, step, clock), where);
                expect(backend.size, `${where}: size`).to.equal(model.entries.size);
                expect(backend.bytes, `${where}: bytes`).to.equal(model.bytes);
              });
            } finally {
              backend.close();
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  it('answers as the model does while background sweeps run between steps (no eviction)', function () {
    // With room for every key, what a read answers cannot depend on when the sweep ran, so the sweep
    // may reclaim expired entries at its own pace (every 5 ms at most) while the model keeps them
    // until touched: the backend holds between the live entries and all of the model's.
    fc.assert(
      fc.property(fc.array(withShortTicks, { minLength: 20, maxLength: 200, size: 'large' }), (steps) => {
        const backend = new MemoryBackend({ maxSize: 100, sweepInterval: 5 });
        const model = new Model(100, 0);
        rememberedKeys.clear();
        try {
          steps.forEach((step, i) => {
            const where = `step ${i}: ${JSON.stringify(step)}`;
            answersAlike(step, apply(backend, model, step, clock), where);
            expect(backend.size, `${where}: size`).to.be.within(model.liveAt(Date.now()), model.entries.size);
          });
          // Past every ttl (50 ms at most) and one more gap, every expired entry is gone, unread.
          clock.tick(60);
          expect(backend.size).to.equal(model.liveAt(Date.now()));
        } finally {
          backend.close();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('evicts in recency order after the arrays have grown and slots have been reused', function () {
    const backend = new MemoryBackend({ maxSize: 500 });
    const model = new Model(500, 0);
    for (let i = 0; i < 5_000; i++) {
      const key = `k${(i * 7919) % 1_200}`;
      if (i % 3 === 0) {
        expect(backend.get(key)).to.equal(model.read(key, Date.now()));
      } else {
        backend.set(key, String(i), 0);
        model.write(key, String(i), 0, Date.now());
      }
      if (i % 11 === 0) {
        backend.delete(`k${i % 1_200}`);
        model.entries.delete(`k${i % 1_200}`);
      }
    }
    const keys = (): string[] => [...(backend.raw('keys', []) as string[])].sort();
    expect(keys()).to.deep.equal([...model.entries.keys()].sort());
    // Each new key now evicts exactly the entry the model holds as least recently used.
    for (let i = 0; i < 600; i++) {
      backend.set(`new${i}`, 'v', 0);
      model.write(`new${i}`, 'v', 0, Date.now());
      expect(keys()).to.deep.equal([...model.entries.keys()].sort());
    }
  });
});

// The backend's answer to a step is the model's; a sweep's (the keys it holds) in any order.
function answersAlike(
  step: { readonly op: string },
  [actual, expected]: readonly [unknown, unknown],
  where: string,
): void {
  if (step.op === 'sweep') {
    expect([...(actual as string[])].sort(), where).to.deep.equal([...(expected as string[])].sort());
  } else {
    expect(actual, where).to.deep.equal(expected);
  }
}
