import type { InvalidationSink } from '../../lib/tiers/invalidation.js';

/** One thing an invalidation source told its sink. */
export type SinkEvent =
  | { readonly type: 'expire' | 'remove'; readonly keys: readonly string[] }
  | { readonly type: 'expireAll' | 'removeAll' | 'down' | 'up' };

/** An invalidation sink that keeps what it is told, for a test to wait on and assert. */
export class RecordingSink implements InvalidationSink {
  readonly events: SinkEvent[] = [];

  expire(keys: readonly string[]): void {
    this.events.push({ type: 'expire', keys: [...keys] });
  }

  remove(keys: readonly string[]): void {
    this.events.push({ type: 'remove', keys: [...keys] });
  }

  expireAll(): void {
    this.events.push({ type: 'expireAll' });
  }

  removeAll(): void {
    this.events.push({ type: 'removeAll' });
  }

  down(): void {
    this.events.push({ type: 'down' });
  }

  up(): void {
    this.events.push({ type: 'up' });
  }

  /** Every key expired so far, in order. */
  get expired(): string[] {
    return this.events.flatMap((event) => (event.type === 'expire' ? event.keys : []));
  }

  /** The kinds of event so far, in order, keys left out. */
  get kinds(): string[] {
    return this.events.map((event) => event.type);
  }

  /** Resolves once `done()` holds of what was told; rejects, listing it, after `timeoutMs`. */
  async until(done: (sink: this) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this)) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; the sink was told ${JSON.stringify(this.events)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
