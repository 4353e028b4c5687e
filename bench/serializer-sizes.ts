// Prints the payload size of each serializer on a sample object, for docs/serializers.md.
//   npx tsx bench/serializer-sizes.ts
import {
  JsonSerializer,
  MsgpackSerializer,
  StringSerializer,
  StructuredCloneSerializer,
} from '../lib/index.js';
import { SAMPLE_USER } from './sample-user.js';

const user = SAMPLE_USER;
const sample = { users: Array.from({ length: 10 }, (_, i) => ({ ...user, id: user.id + i })) };
const sizeOf = (payload: string | Uint8Array): number =>
  typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;

const rows: [string, (value: unknown) => string | Uint8Array][] = [
  ['json', (v) => new JsonSerializer().dumps(v)],
  ['msgpack', (v) => new MsgpackSerializer().dumps(v)],
  ['structured-clone', (v) => new StructuredCloneSerializer().dumps(v)],
  ['json + gzip', (v) => new JsonSerializer({ compress: 'gzip' }).dumps(v)],
  ['json + brotli', (v) => new JsonSerializer({ compress: 'brotli' }).dumps(v)],
  ['msgpack + brotli', (v) => new MsgpackSerializer({ compress: 'brotli' }).dumps(v)],
  ['json + secret', (v) => new JsonSerializer({ secret: 'x'.repeat(32) }).dumps(v)],
];
console.log('| serializer | one user object | ten users |');
console.log('|---|---:|---:|');
for (const [name, dumps] of rows)
  console.log(`| ${name} | ${sizeOf(dumps(user))} B | ${sizeOf(dumps(sample))} B |`);
console.log(
  `| string (the JSON text of it) | ${sizeOf(new StringSerializer().dumps(JSON.stringify(user)))} B | — |`,
);
