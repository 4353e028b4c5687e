// ns per dumps() of the serializers, on the user object of serializer-sizes.ts, with and without
// a `null` in it (JSON's check for lost numbers looks again only when its output holds `null`).
//   npx tsx bench/serializer-encode.ts
import { JsonSerializer, MsgpackSerializer } from '../lib/index.js';
import { SAMPLE_USER } from './sample-user.js';

const user = SAMPLE_USER;
const withNull = { ...user, deletedAt: null };
const ten = { users: Array.from({ length: 10 }, (_, i) => ({ ...user, id: user.id + i })) };

function nsPer(run: () => unknown): number {
  const rounds = 7;
  const n = 200_000;
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) run();
    results.push(Number(process.hrtime.bigint() - start) / n);
  }
  results.sort((a, b) => a - b);
  return results[Math.floor(rounds / 2)]!;
}

const json = new JsonSerializer();
const msgpack = new MsgpackSerializer();
const rows: [string, () => unknown][] = [
  ['JSON.stringify (floor)', () => JSON.stringify(user)],
  ['json dumps, user', () => json.dumps(user)],
  ['json dumps, user with a null', () => json.dumps(withNull)],
  ['json dumps, ten users', () => json.dumps(ten)],
  ['msgpack dumps, user', () => msgpack.dumps(user)],
  ['msgpack dumps, ten users', () => msgpack.dumps(ten)],
];
for (const [name, run] of rows) console.log(`${name.padEnd(32)} ${nsPer(run).toFixed(0).padStart(6)} ns`);
