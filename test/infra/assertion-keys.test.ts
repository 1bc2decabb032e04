/**
 * The identity-assertion keys on AWS: the template (grants, wiring, no key material anywhere in the assembly) and
 * the custom resource's handler source, run against a loopback SSM (real SDK, JSON 1.1 protocol).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ASSERTION_KEYS_HANDLER } from '../../infra/assertion-keys.js';
import { loadAwsConfig } from '../../infra/aws-config.js';
import { addAwsSolutionsChecks } from '../../infra/nag.js';
import { ForwardAuthStack } from '../../infra/stack.js';
import { ConfigError } from '../../shared/config/errors.js';
import { keySetFromPrivateJwks, parseStoredKeys } from '../../shared/identity/keys.js';
import { catchError } from '../helpers/catch-error.js';
import { FakeSsm } from '../helpers/fakes/ssm.js';
import { actionsOf, filesUnder, roleStatements, writeConfig } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PARAMETER = '/TfaServerless-ia/ForwardAuth/identity-assertion-keys';

const config = (portal: object = {}) => ({
  server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
  portals: [
    {
      name: 'main',
      identityAssertion: { enabled: true },
      providers: [
        { pocketID: { endpoint: 'https://id.example.com', clientID: 'c', clientAssertion: 'AwsWebIdentity' } },
      ],
      ...portal,
    },
  ],
});

function synth(rotation?: number): { template: Template; outdir: string; report: unknown[] } {
  const outdir = mkdtempSync(join(tmpdir(), 'tfa-cdk-ia-'));
  const app = new App({ outdir });
  const stack = new ForwardAuthStack(app, 'TfaServerless-ia', {
    env: { account: '111111111111', region: 'eu-west-1' },
    configFile: writeConfig(config()),
    identityAssertionKeyRotation: rotation,
  });
  addAwsSolutionsChecks(app);
  app.synth();
  const template = Template.fromStack(stack);
  const report = (
    JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations: unknown[] }[];
    }
  ).pluginReports.flatMap((r) => r.violations);
  return { template, outdir, report };
}

const require = createRequire(import.meta.url);

describe('the identity assertion keys in the stack', () => {
  let s: ReturnType<typeof synth>;
  beforeAll(() => {
    s = synth();
  }, 120_000);
  afterAll(() => rmSync(s.outdir, { recursive: true, force: true }));

  it('creates the key set through a custom resource, with no cdk-nag finding', () => {
    s.template.hasResourceProperties('Custom::TfaIdentityAssertionKeys', {
      ParameterName: PARAMETER,
      Rotation: '0',
      Retain: 'true',
    });
    expect(s.report).toEqual([]);
  });

  it('lets verify read that one parameter and nothing else of SSM, and names it in its environment', () => {
    const verify = roleStatements(s.template, 'ForwardAuthVerifyRole');
    expect(actionsOf(verify).filter((a) => a.startsWith('ssm:') || a.startsWith('kms:'))).toEqual(['ssm:GetParameter']);
    const statement = verify.find((st) => actionsOf([st]).includes('ssm:GetParameter'));
    expect(JSON.stringify(statement?.Resource)).toBe(
      JSON.stringify({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ssm:eu-west-1:111111111111:parameter${PARAMETER}`]],
      }),
    );
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^tfa-serverless verify'),
      Environment: {
        Variables: Match.objectLike({ TFA_ASSERTION_KEY_PARAMETER: PARAMETER, TFA_ASSERTION_KEY_ROTATION: '0' }),
      },
    });
  });

  it('lists the assertion header in the printed Traefik middleware', () => {
    const outputs = s.template.findOutputs('TraefikMiddleware');
    const text = JSON.stringify(Object.values(outputs)[0]?.Value);
    expect(text).toContain('authResponseHeaders:');
    expect(text).toMatch(/X-Forwarded-Displayname\\n {10}- X-Forward-Auth-Assertion\\n {10}- Cookie/);
  });

  it('gives the generator get/put/delete on the parameter only, and login and callback no SSM at all', () => {
    const generator = roleStatements(s.template, 'ForwardAuthAssertionKeysRole');
    expect(actionsOf(generator).filter((a) => a.startsWith('ssm:'))).toEqual([
      'ssm:GetParameter',
      'ssm:PutParameter',
      'ssm:DeleteParameter',
    ]);
    for (const role of ['ForwardAuthLoginRole', 'ForwardAuthCallbackRole'])
      expect(actionsOf(roleStatements(s.template, role)).filter((a) => a.startsWith('ssm:'))).toEqual([]);
  });

  it('puts no key material in the template or the assets', () => {
    // A PEM private key block, or a JWK's private member (an EC P-256 `d` is 43 base64url characters). The code that
    // reads keys mentions 'PRIVATE KEY' in its messages, so look for the material itself.
    const material = /-----BEGIN (?:EC )?PRIVATE KEY-----\s*[A-Za-z0-9+/]{16}|\\?"d\\?"\s*:\s*\\?"[\w-]{43}\\?"/;
    expect(filesUnder(s.outdir).filter((f) => material.test(readFileSync(f, 'utf8')))).toEqual([]);
    expect(material.test(`"d":"${'A'.repeat(43)}"`)).toBe(true);
  });

  it('rotates when the rotation counter changes', () => {
    const rotated = synth(2);
    rotated.template.hasResourceProperties('Custom::TfaIdentityAssertionKeys', { Rotation: '2' });
    rmSync(rotated.outdir, { recursive: true, force: true });
  }, 120_000);

  it('rejects identityAssertion.keyFile on AWS, naming the key', () => {
    const file = writeConfig(config({ identityAssertion: { enabled: true, keyFile: '/k.pem' } }));
    const err = catchError(() => loadAwsConfig(file), ConfigError);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.issues.map((i) => i.path)).toEqual(['portals[0].identityAssertion.keyFile']);
  });
});

describe('the key generator (custom resource handler) against SSM', () => {
  let ssm: FakeSsm;
  let responder: Server;
  let responseUrl = '';
  const responses: Record<string, unknown>[] = [];
  let handler: (event: Record<string, unknown>) => Promise<void>;
  let dir = '';

  beforeAll(async () => {
    ssm = new FakeSsm();
    await ssm.start();
    process.env.AWS_ENDPOINT_URL_SSM = ssm.url;
    responder = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        responses.push({ method: req.method, ...(JSON.parse(body) as Record<string, unknown>) });
        res.end();
      });
    });
    await new Promise<void>((resolve) => responder.listen(0, '127.0.0.1', resolve));
    responseUrl = `http://127.0.0.1:${(responder.address() as AddressInfo).port}/response`;
    // Under node_modules so that the handler's require('@aws-sdk/client-ssm') finds the SDK, as the runtime's does.
    mkdirSync(join(ROOT, 'node_modules', '.cache'), { recursive: true });
    dir = mkdtempSync(join(ROOT, 'node_modules', '.cache', 'tfa-keys-handler-'));
    writeFileSync(join(dir, 'index.cjs'), ASSERTION_KEYS_HANDLER);
    handler = (require(join(dir, 'index.cjs')) as { handler: typeof handler }).handler;
  });

  afterAll(async () => {
    await ssm.stop();
    await new Promise<void>((resolve) => responder.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const event = (requestType: string, props: Record<string, string>, old?: Record<string, string>) => ({
    RequestType: requestType,
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/s/1',
    RequestId: `req-${responses.length}`,
    LogicalResourceId: 'ForwardAuthAssertionKeys',
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: PARAMETER }),
    ResourceProperties: { ServiceToken: 'x', ParameterName: PARAMETER, ...props },
    ...(old ? { OldResourceProperties: { ServiceToken: 'x', ParameterName: PARAMETER, ...old } } : {}),
  });
  const stored = () => parseStoredKeys(ssm.value(PARAMETER) ?? '', 'ssm') as { x: string }[];

  it('creates a current and a next key that the verify side loads, and answers SUCCESS without echoing', async () => {
    await handler(event('Create', { Rotation: '0', Retain: 'true' }));
    const set = await keySetFromPrivateJwks(stored(), 'ssm');
    expect(set.jwks.keys).toHaveLength(2);
    expect(responses.at(-1)).toMatchObject({
      method: 'PUT',
      Status: 'SUCCESS',
      PhysicalResourceId: PARAMETER,
      NoEcho: true,
      Data: {},
    });
    expect(JSON.stringify(responses.at(-1))).not.toMatch(/"d"/);
  });

  it('keeps the keys on an update that does not change the rotation counter', async () => {
    const before = stored();
    await handler(event('Update', { Rotation: '0', Retain: 'false' }, { Rotation: '0', Retain: 'true' }));
    expect(stored()).toEqual(before);
  });

  it('rotates to next, new, current when the counter changes', async () => {
    const [current, next] = stored();
    await handler(event('Update', { Rotation: '1', Retain: 'true' }, { Rotation: '0', Retain: 'true' }));
    const after = stored();
    expect(after.map((k) => k.x)).toEqual([next?.x, expect.any(String), current?.x]);
    expect((await keySetFromPrivateJwks(after, 'ssm')).jwks.keys).toHaveLength(3);
  });

  it('keeps the parameter on delete when retained, deletes it otherwise', async () => {
    await handler(event('Delete', { Rotation: '1', Retain: 'true' }));
    expect(ssm.value(PARAMETER)).toBeDefined();
    await handler(event('Delete', { Rotation: '1', Retain: 'false' }));
    expect(ssm.value(PARAMETER)).toBeUndefined();
    expect(responses.slice(-2).map((r) => r.Status)).toEqual(['SUCCESS', 'SUCCESS']);
  });

  it('answers FAILED with the SSM error when it cannot write', async () => {
    ssm.inject(FakeSsm.error('AccessDeniedException', 'not allowed'));
    // The handler logs the reason to CloudWatch; keep the test output quiet.
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    await handler(event('Create', { Rotation: '0', Retain: 'true' }));
    const calls = [...logged.mock.calls];
    logged.mockRestore();
    expect(calls).toEqual([['identity assertion keys:', 'AccessDeniedException: not allowed']]);
    expect(responses.at(-1)).toMatchObject({ Status: 'FAILED', Reason: 'AccessDeniedException: not allowed' });
  });
});
