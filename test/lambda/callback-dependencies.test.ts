/**
 * The callback bundle when Secrets Manager fails (real SDK against the loopback fake): a server fault is ours and
 * temporary (503, the next login works), a missing secret is a deployment mistake (500); neither is shown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSecretsManager } from '../helpers/fakes/secrets-manager.js';
import { type Deployment, pocketIdConfig, startDeployment } from './helpers/deployment.js';
import { LambdaBrowser } from './helpers/lambda-browser.js';

const APP = 'https://app.example.com/dashboard';

let deployment: Deployment;

beforeAll(async () => {
  deployment = await startDeployment({ rawConfig: (issuer) => pocketIdConfig(issuer, { logs: { level: 'error' } }) });
});
afterAll(async () => {
  await deployment?.close();
});

const browser = () =>
  new LambdaBrowser({
    aws: deployment.aws,
    ca: deployment.pki.caPEM,
    idp: deployment.idp.issuer,
    authHost: 'auth.example.com',
    verifyVia: 'functionUrl',
  });

describe('the callback when Secrets Manager fails', () => {
  it('answers 500 when the secret does not exist (a deployment mistake, not a passing failure)', async () => {
    // Prepare: runs first, while this container has no secret cached (failures are never cached).
    deployment.secretsManager.inject(
      FakeSecretsManager.error('ResourceNotFoundException', "Secrets Manager can't find the specified secret."),
    );

    // Act
    const hops = await browser().login(APP, 'alice');

    // Assess
    const callback = hops.find((h) => h.fn === 'callback');
    expect(callback?.status).toBe(500);
    expect(callback?.body).toContain('An internal error occurred');
  });

  it('answers 503 while Secrets Manager has server errors, and the next login reads the secret', async () => {
    // Prepare: more server faults than the SDK's three attempts; nothing is cached yet in this container.
    const fault = () => ({ ...FakeSecretsManager.error('InternalServiceError', 'internal failure'), status: 500 });
    deployment.secretsManager.inject(fault(), fault(), fault(), fault());

    // Act
    const failed = await browser().login(APP, 'alice');
    deployment.secretsManager.reset();
    const retried = await browser().login(APP, 'alice');

    // Assess
    const callback = failed.find((h) => h.fn === 'callback');
    expect(callback?.status).toBe(503);
    expect(callback?.body).toContain('Service temporarily unavailable');
    expect(failed.at(-1)).toBe(callback);
    expect(retried.find((h) => h.fn === 'callback')?.status).toBe(307);
  });
});
