import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

let rootLogger: Logger | undefined;

/**
 * The logger used when a cache is given none: pino to stderr, at `LARDER_LOG_LEVEL` (default `warn`).
 * Built on first use so importing larder has no side effects.
 */
export function defaultLogger(): Logger {
  if (rootLogger === undefined) {
    const wanted = process.env.LARDER_LOG_LEVEL?.trim().toLowerCase();
    const level = wanted !== undefined && wanted in pino.levels.values ? wanted : 'warn';
    // errWithCause: an error's message is printed as it is, its cause beside it. pino's default
    // would append the cause's message to it, and larder's messages already name their cause.
    rootLogger = pino(
      { name: 'larder', level, serializers: { err: pino.stdSerializers.errWithCause } },
      pino.destination({ fd: 2, sync: true }),
    );
    if (wanted !== undefined && wanted !== '' && level !== wanted) {
      rootLogger.warn({ LARDER_LOG_LEVEL: wanted }, 'unknown LARDER_LOG_LEVEL; using "warn"');
    }
  }
  return rootLogger;
}
