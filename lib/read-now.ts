// The one internal door between Cache and the read-throughs (cached(), getOrSet): a read of a
// final key's handle answered on the spot, without a promise, when the cache can answer that way
// (a backend that can `peek`, nothing observing gets, not closed). A memoised hit then costs a
// lookup and the one promise its caller awaits. Not part of the public API.

/** Cache's method that reads a key handle on the spot, or answers {@link LATER}. */
export const readNow: unique symbol = Symbol('larder.readNow');

/**
 * Cache's get and multiGet that tell a callback which tier answered each hit (`'l1'` or `'l2'`)
 * when the cache has an L1: for the traced read-throughs, whose contexts carry the tier.
 */
export const getNoting: unique symbol = Symbol('larder.getNoting');
export const multiGetNoting: unique symbol = Symbol('larder.multiGetNoting');

/** What {@link readNow} answers when only `Cache.get` can: the caller then calls `get`. */
export const LATER: unique symbol = Symbol('larder.later');
