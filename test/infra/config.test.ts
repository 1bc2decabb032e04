/**
 * The config at `cdk synth`: validated by the standalone server's loader with the same messages, then by the rules
 * that only hold on AWS (no secret value in the config, identities Lambda has, TLS terminated by AWS…). Each failure
 * stops the synth before anything is written.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ForwardAuthStack } from '../../infra/stack.js';
import { ConfigError } from '../../shared/config/errors.js';
import { loadConfigFile } from '../../shared/config/load.js';
import { catchError } from '../helpers/catch-error.js';
import { writeConfig } from './helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ENV = { account: '111111111111', region: 'eu-west-1' };

function config(provider: object, extra: object = {}) {
  return {
    server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
    portals: [
      { name: 'main', providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'c', ...provider } }] },
    ],
    ...extra,
  };
}

/** Builds the stack for a config file and returns the error it throws (or undefined). */
function synthError(configFile: string, props: object = {}): Error | undefined {
  try {
    new ForwardAuthStack(new App(), 'Test', { env: ENV, configFile, ...props });
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

function fileWith(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tfa-secret-')), 'secret.txt');
  writeFileSync(file, content);
  return file;
}

/** The standalone server's loader, as `npm start` calls it. */
function loaderError(file: string): ConfigError {
  return catchError(() => loadConfigFile(file), ConfigError);
}

describe('an invalid config', () => {
  it('fails the synth with exactly the standalone server loader message', () => {
    // Prepare: an unknown key, a bad duration and a bad provider URL.
    const file = writeConfig({
      ...config({ endpoint: 'http://id.example.com', clientSecretArn: 'tfa/main' }),
      tokens: { sessionLifetime: 'forever' },
      colour: 'blue',
    });

    // Act
    const err = synthError(file);

    // Assess
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).toBe(loaderError(file).message);
    expect(err?.message).toContain("unknown key 'colour'");
  });

  it('fails the synth for each semantic error the loader finds, listing all of them', () => {
    const file = writeConfig(
      config(
        { endpoint: 'http://id.example.com', scopes: 'profile', clientSecretArn: 'tfa/main' },
        { tokens: { sessionLifetime: 'forever' } },
      ),
    );
    const err = synthError(file);
    expect(err?.message).toBe(loaderError(file).message);
    expect(err?.message).toMatch(/\(3 errors\)/);
  });
});

describe('client secrets on AWS', () => {
  it.each([
    ['clientSecret', { clientSecret: 'hunter2-inline-secret' }],
    ['clientSecretFile', { clientSecretFile: fileWith('hunter2-file-secret') }],
    ['clientSecretEnv', { clientSecretEnv: 'POCKET_ID_SECRET' }],
  ])('rejects %s and explains the Secrets Manager path', (key, provider) => {
    // Act
    const err = synthError(writeConfig(config(provider)));

    // Assess
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).toContain(
      `portals[0].providers[0].pocketID.${key}: on AWS a client secret never goes into the config`,
    );
    expect(err?.message).toContain("'aws secretsmanager put-secret-value'");
    expect(err?.message).toContain("'clientSecretArn'");
    expect(err?.message).not.toContain('hunter2');
  });

  it('accepts a provider without any credential, which the standalone loader refuses: the stack creates its secret', () => {
    expect(loaderError(writeConfig(config({}))).message).toContain('a client credential is required');
    expect(synthError(writeConfig(config({})))).toBeUndefined();
  });

  it('rejects a secret of another account without its KMS key', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:222222222222:secret:tfa-AbCdEf';
    const err = synthError(writeConfig(config({ clientSecretArn: arn })));
    expect(err?.message).toContain(
      "portals[0].providers[0].pocketID.clientSecretArn: the secret belongs to account 222222222222, not 111111111111: a secret shared with another account must be encrypted with a customer managed KMS key; set 'clientSecretKmsKeyArn'",
    );
  });

  it('rejects a secret in another region than the stack', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:tfa-AbCdEf';
    const err = synthError(writeConfig(config({ clientSecretArn: arn })));
    expect(err?.message).toContain('the secret is in us-east-1 but the stack deploys to eu-west-1');
  });

  it('rejects a KMS key without clientSecretArn, or one that is not a key ARN, with the shared loader', () => {
    const key = 'arn:aws:kms:eu-west-1:222222222222:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
    const without = writeConfig(config({ clientSecretKmsKeyArn: key }));
    expect(synthError(without)?.message).toContain(
      "portals[0].providers[0].pocketID.clientSecretKmsKeyArn: applies only together with 'clientSecretArn'",
    );
    const alias = writeConfig(config({ clientSecretArn: 'tfa/x', clientSecretKmsKeyArn: 'alias/tfa' }));
    expect(synthError(alias)?.message).toBe(loaderError(alias).message);
    expect(loaderError(alias).message).toContain('must be a KMS key ARN');
  });
});

describe('other settings that cannot work on AWS', () => {
  it('rejects them all at once: Azure identity, server TLS key and a favicon URL', () => {
    // Prepare
    const file = writeConfig(
      config(
        { clientAssertion: 'AzureManagedIdentity' },
        {
          server: {
            domains: [{ domain: 'example.com', authHost: 'auth.example.com' }],
            tlsCertPEM: 'x',
            tlsKeyPEM: 'y',
            favicon: 'https://example.com/favicon.png',
          },
        },
      ),
    );

    // Act
    const err = synthError(file);

    // Assess
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues.map((i) => i.path);
    expect(issues).toEqual([
      'server.tlsCertPEM',
      'server.tlsKeyPEM',
      'server.favicon',
      'portals[0].providers[0].pocketID.clientAssertion',
    ]);
    expect(err?.message).not.toContain("'y'");
  });

  it('rejects tlsClientAuth, naming the key and where mutual TLS goes on AWS', () => {
    // Prepare
    const file = writeConfig(
      config(
        {},
        { server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }], tlsClientAuth: true } },
      ),
    );

    // Act
    const err = synthError(file);

    // Assess
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([
      {
        path: 'server.tlsClientAuth',
        message:
          'the functions never see the TLS connection on AWS: require client certificates with mutual TLS on the API Gateway custom domain (a truststore in S3) instead',
      },
    ]);
  });

  it('rejects a tailscaleWhois provider, naming its key and why', () => {
    // Prepare
    const file = writeConfig(
      config({}, { portals: [{ name: 'main', providers: [{ github: { clientID: 'g' } }, { tailscaleWhois: {} }] }] }),
    );

    // Act
    const err = synthError(file);

    // Assess
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([
      {
        path: 'portals[0].providers[1].tailscaleWhois',
        message:
          "reads identities from the local tailscaled's LocalAPI socket, which AWS Lambda cannot reach: use this portal with the standalone server (npm start)",
      },
    ]);
  });

  it('rejects a custom domain that is not an authHost of the config', () => {
    const err = synthError(writeConfig(config({})), {
      domainName: 'sso.example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/x',
    });
    expect(err?.message).toMatch(
      /domainName 'sso\.example\.com' is not an authHost of server\.domains .*\(auth\.example\.com\)/,
    );
  });
});

describe('npx cdk synth', () => {
  it('exits 1 with the loader message for an invalid tfa-config.yaml', async () => {
    // Prepare
    const file = writeConfig({ ...config({ clientSecretArn: 'tfa/main' }), colour: 'blue' });
    const outdir = mkdtempSync(join(tmpdir(), 'tfa-cdk-out-'));

    // Act: the app as the CDK CLI runs it (cdk.json "app"), with the config from TFA_CONFIG.
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'infra', 'app.ts')], {
      cwd: ROOT,
      env: { ...process.env, TFA_CONFIG: file, CDK_OUTDIR: outdir },
    });

    // Assess
    await expect(run).rejects.toMatchObject({ code: 1, stderr: `${loaderError(file).message}\n` });
  }, 120_000);
});
