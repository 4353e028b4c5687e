import { expect } from 'chai';
import { parsePrometheus, sampleValue } from '../support/prometheus-text.js';
import { sharedRedis } from '../support/redis-fixtures.js';
import { startExample, stopExample } from '../support/example-server.js';

interface Report {
  id: string;
  total: number;
  computation: number;
  computedAt: string;
}

const getJson = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;

for (const [label, env] of [
  ['in memory', async () => ({})],
  ['on Redis (CACHE_URL)', async () => ({ CACHE_URL: `${(await sharedRedis()).url}/12?namespace=http-e2e` })],
] as [string, () => Promise<Record<string, string>>][]) {
  describe(`examples/http-server ${label}`, function () {
    this.timeout(30_000);

    it('computes each report once, serves repeats (x-cache: HIT) and concurrent requests from that one computation, counts them at /metrics, and stops cleanly', async function () {
      const { child, base, banner } = await startExample('examples/http-server/server.ts', await env());
      try {
        expect(banner).to.match(label === 'in memory' ? /cache: memory/ : /cache: redis/);
        const firstResponse = await fetch(`${base}/report?id=1`);
        expect(firstResponse.headers.get('x-cache')).to.equal('MISS');
        const first = (await firstResponse.json()) as Report;
        const againResponse = await fetch(`${base}/report?id=1`);
        expect(againResponse.headers.get('x-cache')).to.equal('HIT');
        expect(await againResponse.json()).to.deep.equal(first);
        const burst = await Promise.all(
          Array.from({ length: 5 }, () => getJson<Report>(`${base}/report?id=22`)),
        );
        expect(new Set(burst.map((report) => report.computation)).size).to.equal(1);
        expect(burst[0]!.computation).to.equal(first.computation + 1);
        expect(await getJson(`${base}/invalidate?id=1`)).to.deep.equal({ removed: 1 });
        const recomputed = await getJson<Report>(`${base}/report?id=1`);
        expect(recomputed.computation).to.equal(burst[0]!.computation + 1);

        // /metrics counts the 8 report calls: the repeat was a hit, each computation's first
        // caller a miss (the burst's others waited for its computation, or came after it).
        const metrics = await fetch(`${base}/metrics`);
        expect(metrics.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
        const text = await metrics.text();
        const { samples } = parsePrometheus(text);
        const calls = (result: string): number =>
          sampleValue(samples, 'larder_cache_requests_total', { cache: 'default', op: 'cached', result });
        expect(calls('hit') + calls('miss')).to.equal(8);
        expect(calls('miss')).to.be.at.least(3);
        expect(calls('hit')).to.be.at.least(1);
        expect(
          sampleValue(samples, 'larder_cache_operation_seconds_count', { cache: 'default', op: 'cached' }),
        ).to.equal(8);
        expect(sampleValue(samples, 'larder_cache_operation_seconds_count', { op: 'delete' })).to.equal(1);
        expect(text).not.to.match(/id=|report/);
      } finally {
        expect(await stopExample(child)).to.equal(0);
      }
    });
  });
}
