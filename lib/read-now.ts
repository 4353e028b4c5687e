// The one internal door between Cache and the read-throughs (cached(), getOrSet): a read of a
// final key's handle answered on the spot, without a promise, when the cache can answer that way
// (a backend that can `peek`, nothing observing gets, not closed). A memoised hit then costs a
// lookup and the one promise its caller awaits. Not part of the public API.

/** Cache's method that reads a key handle on the spot, or answers {@link LATER}. */
export const readNow: unique symbol = Symbol('larder.readNow');

/** What {@link readNow} answers when only `Cache.get` can: the caller then calls `get`. */
export const LATER: unique symbol = Symbol('larder.later');
