/**
 * The identity-assertion key set on AWS (docs/aws.md, "Identity assertion keys"): a custom resource whose small
 * function generates EC P-256 key pairs inside Lambda and writes them to one SSM Parameter Store SecureString, so the
 * private keys never appear in the template, the assets, an environment variable or a log. CloudFormation cannot
 * create a SecureString itself, hence the custom resource. The verify function may read this one parameter only.
 */
import { CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * The handler, inline (a few lines, no dependency beyond the runtime's AWS SDK v3). The stored form and the rotation
 * are those of shared/identity/keys.ts (`{"keys": [current, next, previous?]}`; a rotation makes it
 * `[next, new, current]`); test/infra/assertion-keys.test.ts runs this very source against a loopback SSM and loads
 * the result with that module. It logs nothing but errors from SSM, which never carry parameter values.
 */
export const ASSERTION_KEYS_HANDLER = `'use strict';
const { generateKeyPairSync } = require('node:crypto');
const { SSMClient, GetParameterCommand, PutParameterCommand, DeleteParameterCommand } = require('@aws-sdk/client-ssm');
const ssm = new SSMClient({});
const newKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
async function read(name) {
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const keys = JSON.parse(out.Parameter.Value).keys;
    return Array.isArray(keys) && keys.length >= 2 ? keys : undefined;
  } catch (err) {
    if (err.name === 'ParameterNotFound') return undefined;
    throw err;
  }
}
const write = (name, keys) =>
  ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Overwrite: true, Value: JSON.stringify({ keys }),
    Description: 'tfa-serverless identity assertion signing keys (private JWKs: current, next, previous)' }));
async function apply(event) {
  const p = event.ResourceProperties;
  const name = p.ParameterName;
  if (event.RequestType === 'Delete') {
    if (p.Retain !== 'true' && event.PhysicalResourceId === name)
      await ssm.send(new DeleteParameterCommand({ Name: name })).catch((err) => {
        if (err.name !== 'ParameterNotFound') throw err;
      });
    return name;
  }
  const keys = await read(name);
  // A retained parameter from an earlier stack is kept: apps may still trust its keys.
  if (!keys) await write(name, [newKey(), newKey()]);
  else if (event.RequestType === 'Update' && String(p.Rotation) !== String(event.OldResourceProperties?.Rotation))
    await write(name, [keys[1], newKey(), keys[0]]);
  return name;
}
exports.handler = async (event) => {
  let status = 'SUCCESS';
  let reason = 'OK';
  let id = event.PhysicalResourceId || event.ResourceProperties.ParameterName;
  try {
    id = await apply(event);
  } catch (err) {
    status = 'FAILED';
    reason = (err.name || 'Error') + ': ' + err.message;
    console.error('identity assertion keys:', reason);
  }
  const body = JSON.stringify({ Status: status, Reason: reason, PhysicalResourceId: id, StackId: event.StackId,
    RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId, NoEcho: true, Data: {} });
  await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '' } });
};
`;

export interface AssertionKeysProps {
  /** Bump to rotate: the next key starts signing, a new next key is made, the retiring one stays published. */
  readonly rotation: number;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
}

/** The SSM parameter holding the key set, and the custom resource that creates and rotates it. */
export class AssertionKeys extends Construct {
  /** Name of the SecureString (`/<stack>/<construct path>/identity-assertion-keys`): a name, never key material. */
  readonly parameterName: string;
  readonly parameterArn: string;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: AssertionKeysProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.parameterName = `/${stack.stackName}/${scope.node.id}/identity-assertion-keys`;
    this.parameterArn = stack.formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: this.parameterName.slice(1),
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'tfa-serverless identity assertion key generator (deploy time only)',
    });
    logGroup.grantWrite(role);
    // The AWS managed key aws/ssm encrypts the SecureString; its key policy lets principals of this account use it
    // through SSM, so no kms: statement is needed.
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'],
      resourceArns: [this.parameterArn],
    });
    const fn = new lambda.Function(this, 'Function', {
      description: 'tfa-serverless: creates and rotates the identity assertion keys in SSM (deploy time only)',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(ASSERTION_KEYS_HANDLER),
      timeout: Duration.seconds(30),
      memorySize: 256,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
    });
    this.resource = new CustomResource(this, 'Resource', {
      resourceType: 'Custom::TfaIdentityAssertionKeys',
      serviceToken: fn.functionArn,
      properties: {
        ParameterName: this.parameterName,
        Rotation: String(props.rotation),
        Retain: String(props.removalPolicy !== RemovalPolicy.DESTROY),
      },
    });
  }

  /** Read access for the verify function: GetParameter on this parameter only. */
  grantRead(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['ssm:GetParameter'], resourceArns: [this.parameterArn] });
  }
}
