/**
 * Reads one SSM Parameter Store SecureString. Imported dynamically by the verify function, and only when a portal has
 * `identityAssertion` on, so a cold start without the feature never evaluates the SSM client.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DependencyError } from '../shared/errors.js';

/** The decrypted value of `name` (region, credentials and, in tests, AWS_ENDPOINT_URL_SSM from the environment). */
export async function readSecureParameter(name: string): Promise<string> {
  const client = new SSMClient({});
  try {
    const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const value = out.Parameter?.Value;
    if (!value) throw new Error('the parameter has no value');
    return value;
  } catch (err) {
    throw new DependencyError(`SSM GetParameter '${name}'`, err);
  } finally {
    client.destroy();
  }
}
