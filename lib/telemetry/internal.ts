// larder's own traffic: the calls it makes on behalf of another operation (a read-through's hit
// counter and lock, a guard's state, detectCache's ttl reads) and the commands that are no
// operation of their own (bus publishes, tag lookups). Traced with `internal: true`, which
// metrics do not count and larder/otel makes no span of unless asked (`internalSpans`).
//
// A call is marked internal while {@link internally} runs it: the runner builds the call's
// context synchronously, inside that window, so a counter (no AsyncLocalStorage, whose hooks
// would slow every promise of the process once used) is enough. Calls that run later on their
// own (a lock's retries and release) take the mark when they start (see lib/locks.ts).
import type { BackendPort } from '../backend-port.js';
import type { CacheTelemetry } from './cache-telemetry.js';
import { operationChannel } from './channels.js';

/**
 * The `op` of larder's own commands that are no operation of their own (stable names, see
 * docs/telemetry.md): `'publish'`, a bus message telling the other processes of a write;
 * `'tagLookup'`, a read of tag tokens that checks a tagged entry or takes its tags.
 */
export type InternalCommand = 'publish' | 'tagLookup';

// How many internally() calls are running (nested ones count too).
let depth = 0;

/**
 * Runs `work`, marking the cache operations it starts synchronously as larder's own (`internal`
 * on their contexts). With nobody listening on `larder:operation`, it just runs `work`. Never
 * pass work that may call the application's code synchronously: its calls would be marked too.
 */
export function internally<T>(work: () => T): T {
  if (!operationChannel.hasSubscribers) return work();
  depth++;
  try {
    return work();
  } finally {
    depth--;
  }
}

/** Whether the operation starting now is larder's own (inside {@link internally}). */
export function startedInternally(): boolean {
  return depth !== 0;
}

// Each cache's telemetry, by the BackendPort its tag space reads through.
const telemetryOfPort = new WeakMap<BackendPort, CacheTelemetry>();

/** Tells tag lookups through `port` which cache they are for (the cache calls it once, when built). */
export function reportTagLookups(port: BackendPort, telemetry: CacheTelemetry): void {
  telemetryOfPort.set(port, telemetry);
}

/**
 * Reads the tag tokens at `keys` (`port.multiGet`), traced as an internal `'tagLookup'` while
 * anyone listens. A backend that answers on the spot reads in-process, with nothing to trace.
 */
export function lookUpTags(port: BackendPort, keys: readonly string[], synchronous: boolean): unknown {
  if (synchronous || !operationChannel.hasSubscribers) return port.multiGet(keys);
  const telemetry = telemetryOfPort.get(port);
  if (telemetry === undefined) return port.multiGet(keys);
  return telemetry.trace(telemetry.context('tagLookup', undefined, keys, undefined, INTERNAL), () =>
    Promise.resolve(port.multiGet(keys)),
  );
}

/**
 * Sends one bus message (`send`), traced as an internal `'publish'` of `keys` (`null`: the whole
 * namespace). Call it only while {@link operationChannel} has subscribers.
 */
export function tracePublish(
  telemetry: CacheTelemetry | undefined,
  keys: readonly string[] | null,
  send: () => Promise<unknown>,
): Promise<unknown> {
  if (telemetry === undefined) return send();
  return telemetry.trace(telemetry.context('publish', undefined, keys ?? [], undefined, INTERNAL), send);
}

const INTERNAL = Object.freeze({ internal: true });
