import { describe, expect, it } from 'vitest';
import { emfMetrics, METRICS_NAMESPACE } from '../../functions/metrics.js';
import { createApp } from '../../shared/app/base.js';
import { registerHealth } from '../../shared/app/verify-routes.js';
import { validateConfig } from '../../shared/config/load.js';
import { createLogger } from '../../shared/log.js';

function setup(level: 'info' | 'error') {
  const { config } = validateConfig({
    logs: { level },
    portals: [
      {
        name: 'main',
        providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'x', clientSecret: 'y' } }],
      },
    ],
  });
  const lines: string[] = [];
  const log = createLogger({ level, json: true, write: (l) => lines.push(l) });
  const app = createApp(
    { config, log, now: Date.now },
    {
      metrics: emfMetrics(
        'verify',
        (l) => lines.push(l),
        () => 1_800_000_000_000,
      ),
    },
  );
  registerHealth(app, { config, log, now: Date.now });
  return { app, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('CloudWatch EMF metrics', () => {
  it('rides on the access-log line: Requests and Latency by function and status class, ColdStart once', async () => {
    const { app, records } = setup('info');

    await app.fetch(new Request('https://x/nope'));
    await app.fetch(new Request('https://x/nope'));

    const [first, second] = records();
    expect(first).toMatchObject({
      msg: 'HTTP Request',
      status: 404,
      Function: 'verify',
      StatusClass: '4xx',
      Requests: 1,
      ColdStart: 1,
      _aws: {
        Timestamp: 1_800_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [['Function', 'StatusClass']],
            Metrics: [
              { Name: 'Requests', Unit: 'Count' },
              { Name: 'Latency', Unit: 'Milliseconds' },
              { Name: 'ColdStart', Unit: 'Count' },
            ],
          },
        ],
      },
    });
    expect(typeof first?.Latency).toBe('number');
    expect(second?.ColdStart).toBeUndefined();
  });

  it('writes metrics on their own line when the access log is off (level or omitted health checks)', async () => {
    const { app, records } = setup('error');

    await app.fetch(new Request('https://x/healthz'));
    await app.fetch(new Request('https://x/nope'));

    const all = records();
    expect(all).toHaveLength(2);
    expect(all.every((r) => r.msg === undefined && r._aws !== undefined)).toBe(true);
    expect(all.map((r) => r.StatusClass)).toEqual(['2xx', '4xx']);
  });
});
