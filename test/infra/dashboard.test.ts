/**
 * The optional CloudWatch dashboard: off by default; on, one page whose widgets read the EMF metrics the functions
 * write (functions/metrics.ts: namespace, dimensions and names asserted here from the same constants) and Lambda's
 * throttles, with no cdk-nag finding.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../functions/metrics.js';
import { addAwsSolutionsChecks } from '../../infra/nag.js';
import { ForwardAuthStack } from '../../infra/stack.js';
import { joinValue, writeConfig } from './helpers.js';

const CONFIG = {
  server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
  portals: [{ name: 'main', providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'c' } }] }],
};

interface Widget {
  properties: { title: string; metrics: unknown[][]; stacked?: boolean; view: string };
}

let withDashboard: Template;
let without: Template;
let outdir: string;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'tfa-cdk-dash-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const configFile = writeConfig(CONFIG);
  const env = { account: '210987654321', region: 'eu-west-1' };
  const on = new ForwardAuthStack(app, 'Dash', { env, configFile, dashboard: true });
  const off = new ForwardAuthStack(app, 'NoDash', { env, configFile });
  addAwsSolutionsChecks(app);
  app.synth();
  withDashboard = Template.fromStack(on);
  without = Template.fromStack(off);
}, 120_000);

/** The dashboard's widgets, with the functions' names (Refs) rendered as `<verify>`, `<login>`, `<callback>`. */
function widgets(): Widget[] {
  const [dashboard] = Object.values(withDashboard.findResources('AWS::CloudWatch::Dashboard'));
  const body = joinValue((dashboard?.Properties as { DashboardBody?: unknown } | undefined)?.DashboardBody, (ref) => {
    const id = (ref as { Ref?: string }).Ref ?? JSON.stringify(ref);
    const fn = /^ForwardAuth(Verify|Login|Callback)Function/.exec(id)?.[1];
    return fn ? `<${fn.toLowerCase()}>` : `<${id}>`;
  });
  return (JSON.parse(body) as { widgets: Widget[] }).widgets;
}

const byTitle = (title: string) => widgets().find((w) => w.properties.title === title)?.properties;
const emf = (fn: string, statusClass: string, metric: string, stat: string, label: string) => [
  METRICS_NAMESPACE,
  metric,
  'Function',
  fn,
  'StatusClass',
  statusClass,
  { label, period: 60, stat },
];

describe('CloudWatch dashboard', () => {
  it('is not created unless asked for', () => {
    without.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(without.findOutputs('DashboardUrl')).toEqual({});
  });

  it('has the six widgets an operator looks at first, and its console URL as an output', () => {
    withDashboard.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(widgets().map((w) => w.properties.title)).toEqual([
      'Requests by function',
      'Forward-auth decisions (verify)',
      'Latency in the function, p50 and p99 (ms)',
      'Logins by result (callback)',
      'Cold starts',
      'Throttles (Lambda)',
    ]);
    const url = joinValue(withDashboard.findOutputs('DashboardUrl').DashboardUrl?.Value, (r) =>
      (r as { Ref?: string }).Ref?.startsWith('ForwardAuthDashboard') ? '<dashboard>' : JSON.stringify(r),
    );
    expect(url).toBe(
      'https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/<dashboard>',
    );
  });

  it("counts verify's decisions by status class from the EMF Requests metric", () => {
    const w = byTitle('Forward-auth decisions (verify)');
    expect(w?.stacked).toBe(true);
    expect(w?.metrics).toEqual([
      emf('verify', '2xx', 'Requests', 'Sum', '2xx allowed'),
      emf('verify', '3xx', 'Requests', 'Sum', '3xx sent to sign in'),
      emf('verify', '4xx', 'Requests', 'Sum', '4xx denied (401, 403, 400)'),
      emf('verify', '5xx', 'Requests', 'Sum', '5xx failed'),
    ]);
  });

  it("counts logins by result from the callback's status classes", () => {
    expect(byTitle('Logins by result (callback)')?.metrics).toEqual([
      emf('callback', '3xx', 'Requests', 'Sum', '3xx signed in'),
      emf('callback', '4xx', 'Requests', 'Sum', '4xx refused (expired, cancelled, rejected)'),
      emf('callback', '5xx', 'Requests', 'Sum', '5xx failed'),
    ]);
  });

  it('shows p50 and p99 of each function over its successful answers', () => {
    const fns = ['verify', 'login', 'callback'];
    expect(byTitle('Latency in the function, p50 and p99 (ms)')?.metrics).toEqual(
      fns.flatMap((fn) => {
        const c = fn === 'callback' ? '3xx' : '2xx';
        return ['p50', 'p99'].map((p) => emf(fn, c, 'Latency', p, `${fn} ${p} (${c})`));
      }),
    );
  });

  it('adds every status class for requests and cold starts, with missing classes as 0', () => {
    for (const [title, metric] of [
      ['Requests by function', 'Requests'],
      ['Cold starts', 'ColdStart'],
    ] as const) {
      const metrics = byTitle(title)?.metrics ?? [];
      const expressions = metrics.filter((m) => (m[0] as { expression?: string }).expression);
      expect(expressions.map((m) => m[0])).toEqual(
        ['verify', 'login', 'callback'].map((fn) => ({
          expression: `FILL(${fn}_2, 0) + FILL(${fn}_3, 0) + FILL(${fn}_4, 0) + FILL(${fn}_5, 0)`,
          label: fn,
          period: 60,
        })),
      );
      // The hidden inputs: each function's four status classes.
      const inputs = metrics.filter((m) => m[0] === METRICS_NAMESPACE);
      expect(inputs).toHaveLength(12);
      expect(new Set(inputs.map((m) => `${m[1]} ${m[3]} ${m[5]}`)).size).toBe(12);
      expect(inputs.every((m) => m[1] === metric && (m[6] as { visible?: boolean }).visible === false)).toBe(true);
    }
  });

  it("shows Lambda's throttles of each function", () => {
    expect(byTitle('Throttles (Lambda)')?.metrics).toEqual(
      ['verify', 'login', 'callback'].map((fn) => [
        'AWS/Lambda',
        'Throttles',
        'FunctionName',
        `<${fn}>`,
        { label: fn, period: 60, stat: 'Sum' },
      ]),
    );
  });

  it('adds no cdk-nag finding', () => {
    const report: { pluginReports: { violations: unknown[] }[] } = JSON.parse(
      readFileSync(join(outdir, 'validation-report.json'), 'utf8'),
    );
    expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });
});
