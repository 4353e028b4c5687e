import { tracingChannel } from 'node:diagnostics_channel';
import type { OperationContext } from '../../lib/index.js';

/** One event seen on `larder:operation`, with a copy of the context as it was then. */
export interface SeenEvent {
  readonly event: 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';
  readonly ctx: OperationContext;
  /** The context object itself (the same one on every event of a call). */
  readonly same: OperationContext;
}

/** Records every event on `larder:operation` until `stop()`. */
export function recordOperations(): {
  readonly events: SeenEvent[];
  /** The settled calls (asyncEnd), as their contexts were then. */
  settled(): OperationContext[];
  stop(): void;
} {
  const channel = tracingChannel<unknown, OperationContext>('larder:operation');
  const events: SeenEvent[] = [];
  const seen =
    (event: SeenEvent['event']) =>
    (ctx: OperationContext): void => {
      events.push({ event, ctx: { ...ctx }, same: ctx });
    };
  const handlers = {
    start: seen('start'),
    end: seen('end'),
    asyncStart: seen('asyncStart'),
    asyncEnd: seen('asyncEnd'),
    error: seen('error'),
  };
  channel.subscribe(handlers);
  return {
    events,
    settled: () => events.filter((e) => e.event === 'asyncEnd').map((e) => e.ctx),
    stop: () => channel.unsubscribe(handlers),
  };
}
