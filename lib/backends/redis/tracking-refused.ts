import { InvalidationRefusedError } from '../../tiers/invalidation.js';

/** Why a server would not track keys for larder: see {@link TrackingRefusedError}. */
export type TrackingRefusal = 'permission' | 'unsupported';

/**
 * The Redis server refused client-side caching (`CLIENT ID`, `CLIENT TRACKING` or `SUBSCRIBE
 * __redis__:invalidate` answered with an error that retrying will not change): an ACL user without
 * the command (`reason: 'permission'`, a `NOPERM` reply), or a server that does not know it or
 * has disabled it (`'unsupported'`: Redis before 6, a managed service that renames or blocks it).
 * A cache that asked for `invalidation: 'tracking'` logs one warning and uses the bus instead. Its
 * `code` is `InvalidationRefusedError`'s, `LARDER_INVALIDATION_REFUSED`; it adds `reason` and `node`.
 */
export class TrackingRefusedError extends InvalidationRefusedError {
  /** Why, as far as the reply tells. */
  readonly reason: TrackingRefusal;
  /** The node that refused, as `host:port` (a Cluster's master, or the single node). */
  readonly node: string;

  constructor(node: string, cause: Error) {
    const reason: TrackingRefusal = /^NOPERM/i.test(cause.message) ? 'permission' : 'unsupported';
    super(
      'tracking',
      `Redis at ${node} refused client-side caching (${cause.message}); ` +
        (reason === 'permission'
          ? 'grant the ACL user "+client|id +client|tracking +subscribe" and the channel "__redis__:invalidate", or use invalidation: \'bus\''
          : "it needs Redis 6 or later with CLIENT TRACKING enabled; use invalidation: 'bus'"),
      { cause },
    );
    this.reason = reason;
    this.node = node;
  }
}

// Replies that say "not now" rather than "no": a server loading its data set, busy with a script,
// or a Cluster in the middle of a change. Tracking is tried again on them.
const TRANSIENT = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|MOVED|ASK|READONLY)\b/;

/**
 * Whether a server's error reply (an ioredis `ReplyError`) refuses tracking for good. Anything the
 * server answers that is not one of the transient replies counts: a managed service may answer in
 * words of its own, and falling back to the bus is always coherent, while retrying a permanent
 * refusal would leave the L1 bypassed forever.
 */
export function isRefusal(reply: Error): boolean {
  return !TRANSIENT.test(reply.message);
}
