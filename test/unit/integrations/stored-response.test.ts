import { expect } from 'chai';
import { JsonSerializer, MsgpackSerializer, NullSerializer } from '../../../lib/index.js';
import {
  asRouteEntry,
  replayOf,
  responseEntry,
  unstorableReason,
  variantKey,
  varyNames,
} from '../../../lib/integrations/stored-response.js';

describe('route cache: what a response may be stored as', function () {
  it('stores only 2xx responses other than 206', function () {
    for (const status of [200, 201, 203, 204, 299])
      expect(unstorableReason(status, {}), String(status)).to.equal(undefined);
    for (const status of [100, 206, 301, 304, 404, 500])
      expect(unstorableReason(status, {}), String(status)).to.be.a('string');
  });

  it('never stores Set-Cookie, Cache-Control private or no-store (any case, any place in the list), or Vary: *', function () {
    expect(unstorableReason(200, { 'Set-Cookie': ['a=1'] })).to.equal('set-cookie');
    for (const control of [
      'private',
      'no-store',
      'public, NO-STORE',
      'max-age=60,private',
      'private="x-user"',
    ])
      expect(unstorableReason(200, { 'cache-control': control }), control).to.match(/^cache-control/);
    for (const control of ['public, max-age=60', 'no-cache', 's-maxage=5', 'x-private-ish'])
      expect(unstorableReason(200, { 'cache-control': control }), control).to.equal(undefined);
    expect(unstorableReason(200, { vary: 'Accept, *' })).to.equal('vary: *');
  });

  it('reads Vary names lower-cased, sorted and once each, from one header or several', function () {
    expect(varyNames('Accept-Language, accept-encoding,ACCEPT-LANGUAGE')).to.deep.equal([
      'accept-encoding',
      'accept-language',
    ]);
    expect(varyNames(['Accept', 'Origin'])).to.deep.equal(['accept', 'origin']);
    expect(varyNames(undefined)).to.deep.equal([]);
  });

  it('keys a variant by the values of the named request headers, telling an absent header from an empty one', function () {
    const headers: Record<string, string | undefined> = { 'accept-language': 'fr' };
    const key = (values: Record<string, string | undefined>) =>
      variantKey('route:/p', { id: 'a1', vary: ['accept-language'] }, (name) => values[name]);
    expect(key(headers)).to.equal(key({ 'accept-language': 'fr' }));
    expect(key(headers)).to.match(/^route:\/p#vary:a1:[\w-]{22}$/);
    const keys = [key(headers), key({ 'accept-language': 'en' }), key({}), key({ 'accept-language': '' })];
    expect(new Set(keys).size).to.equal(4);
  });

  it('leaves hop-by-hop headers, those Connection names, Content-Length, Date and x-cache out', function () {
    const entry = responseEntry(
      {
        status: 200,
        headers: {
          'content-type': 'text/plain',
          Connection: 'keep-alive, x-hop',
          'x-hop': '1',
          'keep-alive': 'timeout=5',
          'transfer-encoding': 'chunked',
          'content-length': 5,
          date: 'now',
          'x-cache': 'MISS',
          etag: '"1"',
          'x-count': 3,
        },
        body: Buffer.from('hello'),
      },
      0,
      new JsonSerializer(),
    );
    expect(entry.headers).to.deep.equal({ 'content-type': 'text/plain', etag: '"1"', 'x-count': '3' });
  });

  it('keeps the body as bytes for serializers that keep bytes, and as base64 text for the others; both replay the bytes', function () {
    const body = Buffer.from([0, 1, 254, 255]);
    for (const [serializer, kind] of [
      [new NullSerializer(), 'object'],
      [new MsgpackSerializer(), 'object'],
      [new JsonSerializer(), 'string'],
    ] as const) {
      const entry = responseEntry({ status: 200, headers: {}, body }, 0, serializer);
      expect(typeof entry.body, serializer.constructor.name).to.equal(kind);
      expect(replayOf(entry).body.equals(body)).to.equal(true);
      expect(asRouteEntry(JSON.parse(JSON.stringify(entry)))?.kind).to.equal(
        kind === 'string' ? 'response' : undefined,
      );
    }
  });

  it('replays nothing from a value that is not a route entry', function () {
    for (const value of [
      undefined,
      null,
      'text',
      { larder: 1 },
      { larder: 1, kind: 'response', freshUntil: 0, vary: [] },
      { larder: 1, kind: 'vary', freshUntil: 0, vary: ['accept'] },
    ])
      expect(asRouteEntry(value)).to.equal(undefined);
  });
});
