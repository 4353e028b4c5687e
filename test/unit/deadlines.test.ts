import { expect } from 'chai';
import sinon from 'sinon';
import { Deadlines } from '../../lib/deadlines.js';

class Late extends Error {
  constructor(
    readonly op: string,
    readonly key: string | undefined,
  ) {
    super(`${op} ${key ?? '-'} late`);
  }
}

interface Pending<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

function pending<T>(): Pending<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Settles to what `promise` settled to, without throwing. */
async function outcome<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

describe('Deadlines (one shared timer for many time limits)', function () {
  let clock: sinon.SinonFakeTimers;
  let deadlines: Deadlines;

  beforeEach(function () {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    deadlines = new Deadlines(100, (op, key) => new Late(op, key));
  });

  afterEach(function () {
    clock.restore();
  });

  it('settles as the raced promise does when it is in time', async function () {
    const ok = pending<string>();
    const bad = pending<string>();
    const first = outcome(deadlines.race(ok.promise, 'get', 'a'));
    const second = outcome(deadlines.race(bad.promise, 'set', 'b'));
    await clock.tickAsync(50);
    ok.resolve('value');
    bad.reject(new Error('backend down'));
    expect(await first).to.deep.equal({ value: 'value' });
    expect(((await second).error as Error).message).to.equal('backend down');
    // Nothing is left to time out later.
    await clock.tickAsync(1_000);
    expect(clock.countTimers()).to.equal(0);
  });

  it("rejects with the factory's error once the limit passes, and not before", async function () {
    const never = pending<string>();
    const raced = outcome(deadlines.race(never.promise, 'get', 'slow'));
    let settled = false;
    void raced.then(() => (settled = true));
    await clock.tickAsync(99);
    expect(settled).to.equal(false);
    await clock.tickAsync(2);
    const { error } = await raced;
    expect(error).to.be.instanceOf(Late);
    expect(error).to.include({ op: 'get', key: 'slow' });
  });

  it('times out each operation at its own deadline, whatever settled in between', async function () {
    const results: string[] = [];
    const race = (name: string, gate: Pending<string>): void => {
      void outcome(deadlines.race(gate.promise, 'get', name)).then(({ value, error }) =>
        results.push(error === undefined ? `${name}=${value}` : `${name} timed out`),
      );
    };
    const a = pending<string>();
    const b = pending<string>();
    const c = pending<string>();
    race('a', a); // deadline 100
    await clock.tickAsync(30);
    race('b', b); // deadline 130
    await clock.tickAsync(30);
    race('c', c); // deadline 160
    a.resolve('1'); // the oldest leaves early: the timer must still catch b at 130
    await clock.tickAsync(45); // t = 105
    expect(results).to.deep.equal(['a=1']);
    await clock.tickAsync(30); // t = 135
    expect(results).to.deep.equal(['a=1', 'b timed out']);
    c.resolve('3');
    await clock.tickAsync(100);
    expect(results).to.deep.equal(['a=1', 'b timed out', 'c=3']);
    // A late answer after the timeout changes nothing and is not an unhandled rejection.
    b.reject(new Error('too late'));
    await clock.tickAsync(1);
    expect(results).to.have.length(3);
  });

  it('keeps working after going idle (the timer is re-armed for new operations)', async function () {
    const first = pending<number>();
    const raced = deadlines.race(first.promise, 'get', undefined);
    first.resolve(1);
    expect(await raced).to.equal(1);
    await clock.tickAsync(500);
    const second = outcome(deadlines.race(pending<number>().promise, 'exists', 'k'));
    await clock.tickAsync(101);
    expect((await second).error)
      .to.be.instanceOf(Late)
      .and.include({ op: 'exists' });
  });
  // That the shared timer never keeps the process alive is tested in timers.test.ts, in a child.
});
