// A side door between Cache and cached(): a read answered on the spot, without a promise, when the
// cache can answer that way (a synchronous backend and nothing that observes gets). A memoised hit
// then costs a key, a lookup and the one promise its caller awaits. Not part of the public API.

/** Cache's method that reads a value on the spot, or answers {@link LATER}. */
export const readNow: unique symbol = Symbol('larder.readNow');

/** Cache's {@link readNow} of a remembered key (see key-memo.ts). */
export const readRememberedNow: unique symbol = Symbol('larder.readRememberedNow');

/** What {@link readNow} answers when only `Cache.get` can: the caller then calls `get`. */
export const LATER: unique symbol = Symbol('larder.later');
