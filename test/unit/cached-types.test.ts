import { expect } from 'chai';
import { Cache, cached } from '../../lib/index.js';

// Issue 14: the decorator's `key` option is typed by the method it decorates. This file is also a
// type test: `tsc --noEmit -p .` compiles it, and each `@ts-expect-error` must stay an error.
describe('@cached() with a typed key function', function () {
  it('accepts a key function typed like the method, and uses it', async function () {
    const cache = new Cache();
    let calls = 0;
    class Users {
      @cached({ cache, key: (id: string) => `user:${id}` })
      async find(id: string): Promise<{ id: string }> {
        calls++;
        return { id };
      }

      @cached({
        cache,
        key: (id: number, full: boolean) => `n:${id}:${full}`,
        skipCache: (r: string) => r === '',
      })
      async name(id: number, full: boolean): Promise<string> {
        return full ? `user ${id}` : String(id);
      }
    }
    const users = new Users();
    expect(await users.find('42')).to.deep.equal({ id: '42' });
    expect(await users.find('42')).to.deep.equal({ id: '42' });
    expect(calls).to.equal(1);
    expect(await cache.get('user:42')).to.deep.equal({ id: '42' });
    expect(await users.name(7, true)).to.equal('user 7');
    expect(await cache.get('n:7:true')).to.equal('user 7');
    await cache.close();
  });

  it('still refuses a key function whose parameters do not fit the method (compile time)', function () {
    class Wrong {
      // @ts-expect-error -- the key takes a number; the method is called with a string
      @cached({ key: (id: number) => `user:${id}` })
      async find(id: string): Promise<string> {
        return id;
      }

      // @ts-expect-error -- skipCache takes a number; the method resolves to a string
      @cached({ skipCache: (result: number) => result === 0 })
      async other(id: string): Promise<string> {
        return id;
      }
    }
    expect(typeof Wrong).to.equal('function');
  });

  it('works when called as an experimentalDecorators decorator (target, name, descriptor), told by its arguments', async function () {
    const cache = new Cache();
    let calls = 0;
    class Repo {
      async find(id: string): Promise<string> {
        calls++;
        return `found ${id}`;
      }
      static async count(kind: string): Promise<number> {
        calls++;
        return kind.length;
      }
    }
    const decorate = cached({ cache, key: (id: string) => `k:${id}` });
    for (const [target, name] of [
      [Repo.prototype, 'find'],
      [Repo, 'count'],
    ] as const) {
      const descriptor = Object.getOwnPropertyDescriptor(target, name)!;
      const decorated = decorate(
        target,
        name,
        descriptor as TypedPropertyDescriptor<(id: string) => Promise<never>>,
      );
      expect(decorated).to.include({
        enumerable: descriptor.enumerable,
        configurable: descriptor.configurable,
      });
      Object.defineProperty(target, name, decorated);
    }
    const repo = new Repo();
    expect(await repo.find('1')).to.equal('found 1');
    expect(await repo.find('1')).to.equal('found 1');
    expect(await Repo.count('ab')).to.equal(2);
    expect(await Repo.count('ab')).to.equal(2);
    expect(calls).to.equal(2);
    expect(await cache.get('k:1')).to.equal('found 1');
    expect(() => decorate(Repo.prototype, 'x', { value: 1 } as never)).to.throw(
      TypeError,
      /decorates methods/,
    );
    await cache.close();
  });
});
