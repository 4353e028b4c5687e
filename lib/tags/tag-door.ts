// The internal door between Cache and the read-throughs (getOrSet, cached(), multiCached()) for
// writing tagged results with what was taken before the computation. Not part of the public API.

/** Cache's method answering its TagWriter. */
export const tagWriter: unique symbol = Symbol('larder.tagWriter');

/**
 * The field of a read-through's write options holding a function of the result that names its
 * tags (cached()'s `tags` function, bound to the call's arguments).
 */
export const tagsOfResult: unique symbol = Symbol('larder.tagsOfResult');

/** A read-through's write options, with tags made from the result. */
export interface TaggingOptions {
  readonly tags?: readonly string[];
  readonly [tagsOfResult]?: (result: unknown) => readonly string[];
}
