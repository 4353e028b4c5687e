import { createHash, randomBytes } from 'node:crypto';
import { MsgpackSerializer } from '../serializers/msgpack.js';
import { NullSerializer } from '../serializers/null.js';
import { StructuredCloneSerializer } from '../serializers/structured-clone.js';

/** A response header's value as Node's `getHeaders()` gives it. */
export type HeaderValue = string | number | readonly string[];

/** A response as a route handler produced it, captured by a framework adapter. */
export interface CapturedResponse {
  /** The status code. */
  readonly status: number;
  /** The response headers, names in any case (Node's `getHeaders()` gives them lower-cased). */
  readonly headers: Readonly<Record<string, HeaderValue | undefined>>;
  /** The whole body, as sent. */
  readonly body: Uint8Array;
}

/** A response to replay: what a hit answers. */
export interface ReplayedResponse {
  /** The status code. */
  readonly status: number;
  /** The headers to send, lower-cased; hop-by-hop headers, `Content-Length` and `Date` left out. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /** The body. */
  readonly body: Buffer;
}

// What is stored under a route key. `larder: 1` marks it, so a value of something else that shares
// the key is never replayed as a response.
/** A stored response. */
export interface ResponseEntry {
  readonly larder: 1;
  readonly kind: 'response';
  readonly status: number;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /** The body: bytes where the cache's serializer keeps bytes, else base64 text. */
  readonly body: Uint8Array | string;
  /** When it stops being fresh, ms since the epoch; 0 for never. */
  readonly freshUntil: number;
  /** The request headers its `Vary` names, lower-cased and sorted; empty without `Vary`. */
  readonly vary: readonly string[];
}

/** Stored at a URL's key when its response varies: which request headers pick the variant. */
export interface VaryEntry {
  readonly larder: 1;
  readonly kind: 'vary';
  /**
   * Random, new each time the URL's key is stored afresh, and part of every variant's key: so
   * deleting or expiring the URL's key leaves the variants stored before it unreachable.
   */
  readonly id: string;
  readonly vary: readonly string[];
  readonly freshUntil: number;
}

/** What a route key holds. */
export type RouteEntry = ResponseEntry | VaryEntry;

// Never stored or replayed: they describe one connection, not the resource (RFC 9110 §7.6.1),
// or are set afresh for each response.
const LEFT_OUT = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'date',
  'x-cache',
]);

/**
 * Why a response may not be stored, or `undefined` if it may: only a 2xx other than 206 (a part
 * of the body is not the resource), never one with `Set-Cookie` (it belongs to one client), never
 * `Cache-Control: private` or `no-store`, never `Vary: *`.
 */
export function unstorableReason(
  status: number,
  headers: Readonly<Record<string, HeaderValue | undefined>>,
): string | undefined {
  if (status < 200 || status > 299 || status === 206) return `status ${status}`;
  const lower = lowerCased(headers);
  if (lower['set-cookie'] !== undefined) return 'set-cookie';
  const control = joined(lower['cache-control']).toLowerCase();
  if (/(?:^|[\s,])(?:private|no-store)(?:$|[\s,=])/.test(control)) return `cache-control: ${control}`;
  if (varyNames(lower['vary']).includes('*')) return 'vary: *';
  return undefined;
}

/** The request header names a `Vary` value lists, lower-cased, sorted, without duplicates. */
export function varyNames(value: HeaderValue | undefined): string[] {
  if (value === undefined) return [];
  const names = joined(value)
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  return [...new Set(names)].sort();
}

/**
 * The key of one variant of `base` under the vary entry `marker`: its id, and the values of the
 * request headers it names (as the request gave them, absent ones marked so) hashed, so a
 * variant's key stays short whatever the headers.
 */
export function variantKey(
  base: string,
  marker: Pick<VaryEntry, 'id' | 'vary'>,
  header: (name: string) => string | undefined,
): string {
  const names = marker.vary;
  const values = names.map((name) => {
    const value = header(name);
    return value === undefined ? null : value;
  });
  const digest = createHash('sha256').update(JSON.stringify(values)).digest('base64url').slice(0, 22);
  return `${base}#vary:${marker.id}:${digest}`;
}

/** A new vary entry's id. */
export function varyId(): string {
  return randomBytes(9).toString('base64url');
}

/** The entry storing `captured`, fresh until `freshUntil` (0: always). */
export function responseEntry(
  captured: CapturedResponse,
  freshUntil: number,
  serializer: unknown,
): ResponseEntry {
  const headers: Record<string, string | readonly string[]> = {};
  const lower = lowerCased(captured.headers);
  // Connection may name further headers that are hop-by-hop for this response.
  const connection = new Set(varyNames(lower['connection']));
  for (const [name, value] of Object.entries(lower)) {
    if (value === undefined || LEFT_OUT.has(name) || connection.has(name)) continue;
    headers[name] = typeof value === 'number' ? String(value) : Array.isArray(value) ? [...value] : value;
  }
  return {
    larder: 1,
    kind: 'response',
    status: captured.status,
    headers,
    body: keepsBytes(serializer)
      ? new Uint8Array(captured.body)
      : Buffer.from(captured.body.buffer, captured.body.byteOffset, captured.body.byteLength).toString(
          'base64',
        ),
    freshUntil,
    vary: varyNames(lower['vary']),
  };
}

/** The response an entry replays. */
export function replayOf(entry: ResponseEntry): ReplayedResponse {
  const body =
    typeof entry.body === 'string'
      ? Buffer.from(entry.body, 'base64')
      : Buffer.from(entry.body.buffer, entry.body.byteOffset, entry.body.byteLength);
  return { status: entry.status, headers: entry.headers, body };
}

/** A stored value as a route entry, or `undefined` if it is something else. */
export function asRouteEntry(stored: unknown): RouteEntry | undefined {
  if (typeof stored !== 'object' || stored === null) return undefined;
  const entry = stored as Partial<ResponseEntry> & Partial<VaryEntry>;
  if (entry.larder !== 1 || typeof entry.freshUntil !== 'number' || !Array.isArray(entry.vary))
    return undefined;
  if (entry.kind === 'vary') return typeof entry.id === 'string' ? (entry as VaryEntry) : undefined;
  if (
    entry.kind === 'response' &&
    typeof entry.status === 'number' &&
    typeof entry.headers === 'object' &&
    entry.headers !== null &&
    (typeof entry.body === 'string' || entry.body instanceof Uint8Array)
  )
    return entry as ResponseEntry;
  return undefined;
}

// Serializers known to round-trip a Uint8Array as bytes; for any other (JSON, string, a custom
// one) the body is stored as base64 text, which every serializer keeps.
function keepsBytes(serializer: unknown): boolean {
  return (
    serializer instanceof NullSerializer ||
    serializer instanceof MsgpackSerializer ||
    serializer instanceof StructuredCloneSerializer
  );
}

function lowerCased(
  headers: Readonly<Record<string, HeaderValue | undefined>>,
): Record<string, HeaderValue | undefined> {
  const lower: Record<string, HeaderValue | undefined> = {};
  for (const [name, value] of Object.entries(headers)) lower[name.toLowerCase()] = value;
  return lower;
}

function joined(value: HeaderValue | undefined): string {
  if (value === undefined) return '';
  return Array.isArray(value) ? value.join(', ') : String(value);
}
