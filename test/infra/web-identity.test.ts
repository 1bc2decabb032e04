/**
 * Issue #4 on AWS: the callback role has a fixed, predictable name (its ARN is the `sub` Pocket ID must trust), may
 * call sts:GetWebIdentityToken only for the configured audience, and the opt-in custom resource turns on outbound
 * web identity federation for the account and outputs its issuer.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { addAwsSolutionsChecks } from '../../infra/nag.js';
import { ForwardAuthStack } from '../../infra/stack.js';
import { actionsOf, roleStatements, writeConfig } from './helpers.js';

const CONFIG = {
  server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
  portals: [
    {
      name: 'main',
      providers: [
        {
          pocketID: {
            endpoint: 'https://id.example.com',
            clientID: 'c1',
            clientAssertion: 'AwsWebIdentity:RS256=https://aud.example.com',
          },
        },
      ],
    },
  ],
};

function synth(props: { enable?: boolean; roleName?: string }) {
  const outdir = mkdtempSync(join(tmpdir(), 'tfa-wi-'));
  const app = new App({ outdir });
  const stack = new ForwardAuthStack(app, 'TfaWebIdentity', {
    env: { account: '222222222222', region: 'us-west-2' },
    configFile: writeConfig(CONFIG),
    enableOutboundWebIdentityFederation: props.enable,
    callbackRoleName: props.roleName,
  });
  addAwsSolutionsChecks(app);
  app.synth();
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: { violations: unknown[] }[];
  };
  return { template: Template.fromStack(stack), violations: report.pluginReports.flatMap((r) => r.violations) };
}

describe('AwsWebIdentity on AWS', () => {
  let plain: ReturnType<typeof synth>;
  let enabled: ReturnType<typeof synth>;
  beforeAll(() => {
    plain = synth({});
    enabled = synth({ enable: true, roleName: 'tfa-callback-prod' });
  }, 120_000);

  it('gives the callback role a fixed name derived from the stack, or the one configured', () => {
    plain.template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'TfaWebIdentity-callback' });
    enabled.template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'tfa-callback-prod' });
  });

  it('lets the callback mint web-identity tokens only for the configured audience and algorithm', () => {
    const sts = roleStatements(plain.template, 'ForwardAuthCallbackRole').find((s) =>
      actionsOf([s]).includes('sts:GetWebIdentityToken'),
    );
    expect(sts?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'sts:IdentityTokenAudience': ['https://aud.example.com'] },
      StringEquals: { 'sts:SigningAlgorithm': ['RS256'] },
    });
    for (const fn of ['ForwardAuthVerifyRole', 'ForwardAuthLoginRole'])
      expect(actionsOf(roleStatements(plain.template, fn))).not.toContain('sts:GetWebIdentityToken');
  });

  it('outputs the subject and audience to enter in Pocket ID', () => {
    const outputs = plain.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.WebIdentitySubject?.Value).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^ForwardAuthCallbackRole/), 'Arn'],
    });
    expect(outputs.WebIdentityAudiences?.Value).toBe('https://aud.example.com');
    expect(outputs.WebIdentityIssuer).toBeUndefined();
  });

  it('creates no account-wide custom resource unless asked', () => {
    plain.template.resourceCountIs('Custom::AWS', 0);
  });

  it('enables outbound web identity federation on request, tolerating "already enabled", and outputs the issuer', () => {
    const resources = Object.values(enabled.template.findResources('Custom::AWS')).map((r) =>
      JSON.stringify((r as { Properties: unknown }).Properties),
    );
    expect(resources).toHaveLength(2);
    expect(
      resources.some((r) => r.includes('EnableOutboundWebIdentityFederation') && r.includes('FeatureEnabled')),
    ).toBe(true);
    expect(resources.some((r) => r.includes('GetOutboundWebIdentityFederationInfo'))).toBe(true);
    // Nothing on delete: the switch is account-wide.
    expect(resources.every((r) => !r.includes('"Delete"'))).toBe(true);
    enabled.template.hasOutput('WebIdentityIssuer', {
      Value: { 'Fn::GetAtt': [Match.anyValue(), 'IssuerIdentifier'] },
    });
    const policies = JSON.stringify(enabled.template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('iam:EnableOutboundWebIdentityFederation');
    expect(policies).toContain('iam:GetOutboundWebIdentityFederationInfo');
  });

  it('has no unacknowledged cdk-nag finding with or without the custom resource', () => {
    expect(plain.violations).toEqual([]);
    expect(enabled.violations).toEqual([]);
  });
});
