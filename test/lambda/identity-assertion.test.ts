/**
 * The identity assertion on AWS: the built verify bundle reads its keys from SSM Parameter Store (a loopback fake
 * speaking the real JSON 1.1 protocol, so the real SDK path runs) once per container, signs assertions and serves the
 * JWKS through the HTTP API; an app verifies them with jose.
 */
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../functions/config-asset.js';
import { newStoredKeys } from '../../shared/identity/keys.js';
import { FakeSsm } from '../helpers/fakes/ssm.js';
import { type Deployment, pocketIdConfig, startDeployment } from './helpers/deployment.js';
import { LambdaBrowser } from './helpers/lambda-browser.js';

const PARAMETER = '/TfaServerless/ForwardAuth/identity-assertion-keys';
const APP = 'https://app.example.com/reports';

let deployment: Deployment;
let ssm: FakeSsm;

beforeAll(async () => {
  ssm = new FakeSsm();
  await ssm.start();
  ssm.put(PARAMETER, newStoredKeys());
  // What the stack sets on verify, plus the SDK's endpoint override; the bundles read it at load.
  process.env[ENV.assertionKeyParameter] = PARAMETER;
  process.env.AWS_ENDPOINT_URL_SSM = ssm.url;
  deployment = await startDeployment({
    rawConfig: (issuer) =>
      pocketIdConfig(issuer, { logs: { level: 'error' }, portal: { identityAssertion: { enabled: true } } }),
  });
});

afterAll(async () => {
  await deployment?.close();
  await ssm?.stop();
});

const browser = (verifyVia: 'functionUrl' | 'api') =>
  new LambdaBrowser({
    aws: deployment.aws,
    ca: deployment.pki.caPEM,
    idp: deployment.idp.issuer,
    authHost: 'auth.example.com',
    verifyVia,
  });

describe('the identity assertion on Lambda', () => {
  it('signs with the key from SSM, serves the JWKS through the HTTP API, and reads SSM once per container', async () => {
    // Prepare
    const b = browser('functionUrl');
    await b.login(APP);

    // Act
    const viaUrl = await b.request(APP);
    const viaApi = await browser('api').request(APP);
    const jwksHop = await b.request('https://auth.example.com/portals/main/.well-known/jwks.json');
    const jwks = JSON.parse(jwksHop.body) as JSONWebKeySet;
    const { payload } = await jwtVerify(viaUrl.headers['x-forward-auth-assertion'] ?? '', createLocalJWKSet(jwks), {
      issuer: 'https://auth.example.com/portals/main',
      audience: 'https://app.example.com',
    });

    // Assess
    expect(viaUrl.status).toBe(200);
    expect(viaApi.status).toBe(303); // another browser, no session
    expect(jwksHop.fn).toBe('verify');
    expect(jwksHop.headers['cache-control']).toBe('public, max-age=300');
    expect(jwks.keys).toHaveLength(2);
    expect(payload.sub).toBe('alice');
    expect(ssm.reads).toEqual([PARAMETER]);
    expect(ssm.requests.every((r) => JSON.parse(r.body).WithDecryption === true)).toBe(true);
  });
});
