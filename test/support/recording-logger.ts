import { pino } from 'pino';
import { Writable } from 'node:stream';
import type { Logger } from '../../lib/index.js';

/** A real pino logger at `debug` whose records are kept in memory for assertions. */
export function recordingLogger(): { logger: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      records.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), records };
}
