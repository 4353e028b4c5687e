import { expect } from 'chai';
import sinon from 'sinon';
import { Cache, MemoryBackend } from '../../../lib/index.js';

describe('caches share a backend by reference count', function () {
  it('closing one of two caches over one MemoryBackend leaves the other its entries', async function () {
    const backend = new MemoryBackend();
    const close = sinon.spy(backend, 'close');
    const a = new Cache({ backend, namespace: 'a' });
    const b = new Cache({ backend, namespace: 'b' });
    await b.set('k', 1);
    await a.close();
    expect(close.callCount).to.equal(0);
    expect(await b.get('k')).to.equal(1);
    await b.close();
    expect(close.callCount).to.equal(1);
    expect(backend.size).to.equal(0);
  });

  it('closes the backend once however often each cache is closed', async function () {
    const backend = new MemoryBackend();
    const close = sinon.spy(backend, 'close');
    const a = new Cache({ backend });
    const b = new Cache({ backend });
    await Promise.all([a.close(), a.close()]);
    expect(close.callCount).to.equal(0);
    await b.close();
    await b.close();
    expect(close.callCount).to.equal(1);
  });
});
